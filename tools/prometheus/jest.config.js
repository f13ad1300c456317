module.exports = {
  displayName: 'prometheus-check',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
