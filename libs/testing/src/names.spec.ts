import { uniqueName } from './names';

describe('uniqueName', () => {
  it('never repeats within a process', () => {
    const names = Array.from({ length: 1000 }, () => uniqueName('t'));
    expect(new Set(names).size).toBe(1000);
  });

  it.each([
    ['ocr.requests', /^ocr\.requests-[a-z0-9]+-[a-z0-9]+-\d+$/],
    ['with space/slash', /^with-space-slash-/],
    ['', /^test-/],
  ])('keeps %j readable and legal for Kafka topics', (prefix, shape) => {
    const name = uniqueName(prefix);
    expect(name).toMatch(shape);
    expect(name).toMatch(/^[a-zA-Z0-9._-]+$/);
  });

  it('stays under the 249-character topic limit', () => {
    expect(uniqueName('x'.repeat(400)).length).toBeLessThanOrEqual(249);
  });

  it('differs between processes of the same run', async () => {
    const { execFileSync } = await import('node:child_process');
    // Another process loading the module gets another run id.
    const script = "require('@swc-node/register'); console.log(require('./names.ts').uniqueName('p'))";
    const other = execFileSync(process.execPath, ['-e', script], { cwd: __dirname, encoding: 'utf8' }).trim();
    const mine = uniqueName('p');
    expect(other.replace(/-\d+$/, '')).not.toBe(mine.replace(/-\d+$/, ''));
  });
});
