
module.exports = {
  displayName: 'ocr-pipeline',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
