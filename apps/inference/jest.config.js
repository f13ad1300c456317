
module.exports = {
  displayName: 'inference',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
