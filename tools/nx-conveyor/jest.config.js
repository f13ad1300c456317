module.exports = {
  displayName: 'nx-conveyor',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  // The workspace test copies the repository and runs nx, tsc, eslint and jest there.
  testTimeout: 30_000,
};
