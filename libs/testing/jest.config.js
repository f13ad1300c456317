// The contract tests need a broker: the same global setup as the root config, so
// `jest -c libs/testing/jest.config.js` starts one too, and a run from the root
// reuses the root's broker (KAFKA_BROKERS is already set by then).
module.exports = {
  displayName: 'testing',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  globalSetup: '<rootDir>/src/global-setup.js',
  globalTeardown: '<rootDir>/src/global-teardown.js',
};
