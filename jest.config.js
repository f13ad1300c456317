// One Jest run over every project: the shared Kafka broker starts once for the
// whole run (see libs/testing), not once per project.
const fs = require('node:fs');
const path = require('node:path');

const projects = ['apps', 'libs', 'tools', 'tests']
  .flatMap((dir) => (fs.existsSync(dir) ? fs.readdirSync(dir).map((name) => path.join(dir, name)) : []))
  .concat(['pipelines'])
  .filter((root) => fs.existsSync(path.join(root, 'jest.config.js')))
  .map((root) => `<rootDir>/${root}`);

module.exports = {
  projects,
  globalSetup: '<rootDir>/libs/testing/src/global-setup.js',
  globalTeardown: '<rootDir>/libs/testing/src/global-teardown.js',
};
