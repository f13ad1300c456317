import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigTable } from '@conveyor/config';
import { ocrStageConfigSchema } from './stage-config';

it('the README documents exactly the variables and defaults the stages have', () => {
  const readme = readFileSync(join(__dirname, '..', '..', '..', '..', 'README.md'), 'utf8');
  const table = /<!-- config-table:start -->\n([\s\S]*?)<!-- config-table:end -->/.exec(readme)?.[1];
  expect(table).toBe(renderConfigTable(ocrStageConfigSchema('inference')));
});
