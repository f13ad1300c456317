// Maps the `@conveyor/*` path aliases of tsconfig.base.json to Jest's
// moduleNameMapper, so tests import libraries exactly as the code does.
const fs = require('node:fs');
const path = require('node:path');

function pathsToModuleNameMapper(tsconfigPath) {
  const root = path.dirname(tsconfigPath);
  const { compilerOptions } = JSON.parse(fs.readFileSync(tsconfigPath, 'utf8'));
  const mapper = {};
  for (const [alias, [target]] of Object.entries(compilerOptions.paths ?? {})) {
    mapper[`^${alias.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`] = path.join(root, target);
  }
  return mapper;
}

module.exports = { pathsToModuleNameMapper };
