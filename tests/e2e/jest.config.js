module.exports = {
  displayName: 'e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  globalSetup: '../../libs/testing/src/global-setup.js',
  globalTeardown: '../../libs/testing/src/global-teardown.js',
};
