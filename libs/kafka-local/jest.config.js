module.exports = {
  displayName: 'kafka-local',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
