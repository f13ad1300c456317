import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigTable } from '@conveyor/config';
import { stageConfigSchema } from '@conveyor/stage-host';
import { inferenceStage } from './stages/inference.stage';

it('the README documents exactly the variables and defaults an OCR stage has', () => {
  const readme = readFileSync(join(__dirname, '..', '..', '..', '..', 'README.md'), 'utf8');
  const table = /<!-- config-table:start -->\n([\s\S]*?)<!-- config-table:end -->/.exec(readme)?.[1];
  expect(table).toBe(renderConfigTable(stageConfigSchema(inferenceStage)));
});
