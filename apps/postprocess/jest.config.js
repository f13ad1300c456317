
module.exports = {
  displayName: 'postprocess',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
