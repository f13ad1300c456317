module.exports = {
  displayName: 'stage-runtime',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
