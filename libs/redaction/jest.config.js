
module.exports = {
  displayName: 'redaction',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
