// Jest globalTeardown: stops the broker that globalSetup started, if it started one.
const { loadTypeScript } = require('./load-typescript');

module.exports = async function globalTeardown() {
  await loadTypeScript(require.resolve('./jest-kafka.ts')).tearDownTestKafka();
};
