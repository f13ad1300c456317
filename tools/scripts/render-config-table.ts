// Regenerates the README's configuration table from the stages' config schema:
//   SWC_NODE_PROJECT=tsconfig.base.json npx node -r @swc-node/register tools/scripts/render-config-table.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigTable } from '@conveyor/config';
import { inferenceStage } from '@conveyor/ocr-pipeline';
import { stageConfigSchema } from '@conveyor/stage-host';

const readmePath = join(__dirname, '..', '..', 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const updated = readme.replace(
  /(<!-- config-table:start -->\n)[\s\S]*?(<!-- config-table:end -->)/,
  (_m, start: string, end: string) => `${start}${renderConfigTable(stageConfigSchema(inferenceStage))}${end}`,
);
writeFileSync(readmePath, updated);
