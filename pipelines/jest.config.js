module.exports = {
  displayName: 'pipelines',
  preset: '../jest.preset.js',
  rootDir: __dirname,
};
