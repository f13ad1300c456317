import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commonConfigSchema } from './common-config';
import { renderConfigTable } from './describe-config';

it('README documents exactly the variables and defaults the code has', () => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const table = /<!-- config-table:start -->\n([\s\S]*?)<!-- config-table:end -->/.exec(readme)?.[1];
  expect(table).toBe(renderConfigTable(commonConfigSchema));
});
