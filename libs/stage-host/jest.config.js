
module.exports = {
  displayName: 'stage-host',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
