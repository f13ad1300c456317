module.exports = {
  displayName: 'ocr',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  // Real ONNX sessions return host-realm Float32Arrays: see jest.environment.js.
  testEnvironment: '<rootDir>/jest.environment.js',
};
