import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tailFile } from './log-tail';

describe('tailFile', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'kafka-local-tail-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['a\nb\nc\n', 2, 4096, 'b\nc'],
    ['a\nb\nc', 5, 4096, 'a\nb\nc'],
    ['', 3, 4096, ''],
    // Only the last 6 bytes are read ("45\n678"): the cut first line is dropped.
    ['0123\n45\n678', 10, 6, '678'],
  ])('tail of %j (%d lines, %d bytes) is %j', (content, lines, maxBytes, expected) => {
    const file = path.join(dir, 'log');
    writeFileSync(file, content);
    expect(tailFile(file, lines, maxBytes)).toBe(expected);
  });

  it('returns an empty string for a missing file', () => {
    expect(tailFile(path.join(dir, 'missing'), 5)).toBe('');
  });
});
