#!/usr/bin/env node
// `npx conveyor …`: runs the CLI from its TypeScript sources through swc (no build step).
const path = require('node:path');
process.env.SWC_NODE_PROJECT ??= path.join(__dirname, '..', 'tsconfig.base.json');
require('@swc-node/register');
require(path.join(__dirname, '..', 'apps', 'cli', 'src', 'main.ts'));
