
module.exports = {
  displayName: 'redact',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
