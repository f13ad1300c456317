module.exports = {
  displayName: 'shadow',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  // Integration needs Kafka: reuse KAFKA_BROKERS or start one broker for the run.
  globalSetup: '../../libs/testing/src/global-setup.js',
  globalTeardown: '../../libs/testing/src/global-teardown.js',
};
