
module.exports = {
  displayName: 'ocr-client',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
