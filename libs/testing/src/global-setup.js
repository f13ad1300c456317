// Jest globalSetup: provides one Kafka broker for the whole test run, and one Redis
// with CONVEYOR_TEST_REDIS=docker (see jest-kafka.ts).
const { loadTypeScript } = require('./load-typescript');

module.exports = async function globalSetup() {
  const testing = loadTypeScript(require.resolve('./jest-kafka.ts'));
  await testing.setUpTestKafka();
  await testing.setUpTestRedis();
};
