// Jest globalSetup: provides one Kafka broker for the whole test run (see jest-kafka.ts).
const { loadTypeScript } = require('./load-typescript');

module.exports = async function globalSetup() {
  await loadTypeScript(require.resolve('./jest-kafka.ts')).setUpTestKafka();
};
