module.exports = {
  displayName: 'platform',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  // The topic, fetch-size and broker-supervision tests need Kafka: reuse KAFKA_BROKERS or start one broker for the run.
  globalSetup: '../../libs/testing/src/global-setup.js',
  globalTeardown: '../../libs/testing/src/global-teardown.js',
};
