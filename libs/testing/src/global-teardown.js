// Jest globalTeardown: stops the broker and Redis that globalSetup started, if it started them.
const { loadTypeScript } = require('./load-typescript');

module.exports = async function globalTeardown() {
  const testing = loadTypeScript(require.resolve('./jest-kafka.ts'));
  await testing.tearDownTestRedis();
  await testing.tearDownTestKafka();
};
