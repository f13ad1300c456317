import { loadDictionary, unsupportedCharacters } from './dictionary';
import { mulberry32 } from './prng';
import { generateLine, generateLines, groupThousands } from './text';

describe('groupThousands', () => {
  it.each([
    [0, '0'],
    [999, '999'],
    [1000, '1,000'],
    [1249, '1,249'],
    [250000, '250,000'],
    [1234567, '1,234,567'],
  ])('%d -> %s', (n, expected) => expect(groupThousands(n)).toBe(expected));
});

describe('generateLines', () => {
  const rng = mulberry32(2024);
  const pages = Array.from({ length: 500 }, () => generateLines(rng));
  const lines = pages.flat();
  const dictionary = loadDictionary();

  it('makes 1–4 lines per page, each count occurring', () => {
    expect(new Set(pages.map((p) => p.length))).toEqual(new Set([1, 2, 3, 4]));
  });

  it('makes 2–6 single-space-separated words per line without outer blanks', () => {
    for (const line of lines) {
      expect(line).toBe(line.trim());
      expect(line).not.toMatch(/ {2}/);
      const words = line.split(' ').length;
      expect(words).toBeGreaterThanOrEqual(2);
      expect(words).toBeLessThanOrEqual(6);
    }
  });

  it('uses printable ASCII only, all of it in the OCR dictionary', () => {
    for (const line of lines) {
      expect(line).toMatch(/^[\x20-\x7e]+$/);
      expect(unsupportedCharacters(line, dictionary)).toEqual([]);
    }
  });

  it('mixes in numbers, dates, prices and codes', () => {
    const text = lines.join('\n');
    expect(text).toMatch(/\b\d{4}-\d{2}-\d{2}\b/);
    expect(text).toMatch(/\b\d{2}\/\d{2}\/\d{4}\b/);
    expect(text).toMatch(/\$\d/);
    expect(text).toMatch(/\b(INV|PO|REF|ORD|SKU|ACC|TKT|DOC)-\d{4}-\d{4}\b/);
    expect(text).toMatch(/\d+\.\d%/);
  });

  it('is deterministic for a seed', () => {
    expect(generateLine(mulberry32(9))).toBe(generateLine(mulberry32(9)));
  });
});
