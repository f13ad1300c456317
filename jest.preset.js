// Shared Jest settings: @swc/jest transpiles TypeScript (type checking is the
// separate `typecheck` target) with decorator metadata, which NestJS DI needs.
const path = require('node:path');
const { pathsToModuleNameMapper } = require('./tools/scripts/jest-paths.js');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2023',
        },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: pathsToModuleNameMapper(path.join(__dirname, 'tsconfig.base.json')),
  testMatch: ['**/*.spec.ts'],
  clearMocks: true,
};
