#!/usr/bin/env node
// `npm run kafka`: the project's broker in the foreground (libs/kafka-local/src/cli.ts), from its TypeScript sources
// through swc. Run directly rather than through `nx run kafka-local:serve`: Nx reports a continuous target that ends
// as a success, so a broker that died would leave `npm run kafka` exiting 0.
const path = require('node:path');
process.env.SWC_NODE_PROJECT ??= path.join(__dirname, '..', 'tsconfig.base.json');
require('@swc-node/register');
require(path.join(__dirname, '..', 'libs', 'kafka-local', 'src', 'cli.ts')).main();
