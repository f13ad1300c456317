module.exports = {
  displayName: 'containers',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
