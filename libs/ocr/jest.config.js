module.exports = {
  displayName: 'ocr',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
