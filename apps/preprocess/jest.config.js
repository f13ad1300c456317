
module.exports = {
  displayName: 'preprocess',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
