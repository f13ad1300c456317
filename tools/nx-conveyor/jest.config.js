module.exports = {
  displayName: 'nx-conveyor',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  // The workspace test copies the repository and runs nx, tsc, eslint and jest there.
  testTimeout: 30_000,
  // The generated stage is run on Kafka: reuse KAFKA_BROKERS or start one broker for the run.
  globalSetup: '../../libs/testing/src/global-setup.js',
  globalTeardown: '../../libs/testing/src/global-teardown.js',
};
