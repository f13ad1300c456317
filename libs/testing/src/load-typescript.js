// Jest loads globalSetup/globalTeardown modules itself, outside the projects' test
// runtime (no moduleNameMapper), so these entry points are plain JavaScript that
// compile the TypeScript implementation with @swc-node/register's compiler and the
// workspace's tsconfig.base.json (whose path aliases turn `@conveyor/*` into paths).
//
// Why a loader of our own instead of `require('@swc-node/register')`: Jest runs the
// global setup function while its own require hook (the project's transform, or
// babel-jest for the root config) is installed, and chained hooks would hand our
// TypeScript to that transform first, which knows no path aliases (and babel-jest no
// TypeScript). This loader, installed last, compiles .ts files itself and does not
// delegate, so it works the same from the root config and from a project config.
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');

const INSTALLED = Symbol.for('conveyor.testing.typescriptLoader');

function installTypeScriptLoader() {
  if (globalThis[INSTALLED]) return;
  const { compile } = require('@swc-node/register/register');
  const { readDefaultTsConfig } = require('@swc-node/register/read-default-tsconfig');
  const options = readDefaultTsConfig(path.join(__dirname, '..', '..', '..', 'tsconfig.base.json'));
  Module._extensions['.ts'] = function loadTypeScriptModule(module, filename) {
    module._compile(compile(fs.readFileSync(filename, 'utf8'), filename, options), filename);
  };
  globalThis[INSTALLED] = true;
}

function loadTypeScript(modulePath) {
  installTypeScriptLoader();
  return require(modulePath);
}

module.exports = { loadTypeScript };
