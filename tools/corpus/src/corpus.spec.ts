import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { FONT_SIZE, generateCorpus, MIN_MAX_WIDTH, resolveSettings, type Corpus, type CorpusOptions } from './corpus';
import { loadDictionary, unsupportedCharacters } from './dictionary';
import { installedFontFamilies } from './fonts';
import { rasteriseText } from './render';
import { corpusTruthSchema, readTruth } from './truth';
import { WORDS } from './words';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

async function pixelHash(data: Buffer): Promise<string> {
  return sha256(await sharp(data).raw().toBuffer());
}

describe('generateCorpus', () => {
  let corpus: Corpus;
  beforeAll(async () => {
    corpus = await generateCorpus({ seed: 99, count: 24 });
  }, 60_000);

  it('is deterministic: same seed, same truth, same bytes, same pixels', async () => {
    const again = await generateCorpus({ seed: 99, count: 6 });
    expect(again.truth.items).toEqual(corpus.truth.items.slice(0, 6));
    for (let i = 0; i < 6; i++) {
      expect(sha256(again.items[i]!.data)).toBe(sha256(corpus.items[i]!.data));
      expect(await pixelHash(again.items[i]!.data)).toBe(await pixelHash(corpus.items[i]!.data));
    }
  });

  it('makes each item independent of the corpus size and other seeds give other corpora', async () => {
    const other = await generateCorpus({ seed: 100, count: 3 });
    expect(other.truth.items.map((i) => i.lines)).not.toEqual(corpus.truth.items.slice(0, 3).map((i) => i.lines));
    expect(other.truth.items[0]!.id).toBe('s100-0000');
  });

  it('writes truth that satisfies the schema and the OCR dictionary', () => {
    expect(corpusTruthSchema.parse(corpus.truth)).toEqual(corpus.truth);
    const dictionary = loadDictionary();
    const ids = new Set<string>();
    for (const item of corpus.truth.items) {
      ids.add(item.id);
      expect(item.file).toBe(`${item.id}.${item.format === 'jpeg' ? 'jpg' : 'png'}`);
      expect(item.lines.length).toBeGreaterThanOrEqual(1);
      expect(item.lines.length).toBeLessThanOrEqual(4);
      for (const line of item.lines) expect(unsupportedCharacters(line, dictionary)).toEqual([]);
      expect(corpus.truth.settings.fonts).toContain(item.font);
      expect(item.fontSize).toBeGreaterThanOrEqual(FONT_SIZE.min);
      expect(item.fontSize).toBeLessThanOrEqual(FONT_SIZE.max);
      expect(item.width).toBeLessThanOrEqual(960);
    }
    expect(ids.size).toBe(corpus.items.length);
  });

  it('produces images sharp decodes at the size and in the format the truth states', async () => {
    for (const { data, truth } of corpus.items) {
      const meta = await sharp(data).metadata();
      expect({ format: meta.format, width: meta.width, height: meta.height }).toEqual({
        format: truth.format,
        width: truth.width,
        height: truth.height,
      });
    }
  });

  it('mixes formats, rotation and noise with the default shares', () => {
    const items = corpus.truth.items;
    expect(new Set(items.map((i) => i.format))).toEqual(new Set(['png', 'jpeg']));
    expect(items.some((i) => i.rotated180)).toBe(true);
    expect(items.some((i) => !i.rotated180)).toBe(true);
    expect(items.some((i) => i.noise)).toBe(true);
    expect(items.some((i) => !i.noise)).toBe(true);
  });
});

describe('generateCorpus settings', () => {
  const base: CorpusOptions = { seed: 7, count: 4, formats: ['png'] };

  it('rotates exactly the same page when only the rotated share changes', async () => {
    const upright = await generateCorpus({ ...base, rotatedShare: 0 });
    const rotated = await generateCorpus({ ...base, rotatedShare: 1 });
    for (let i = 0; i < base.count; i++) {
      const u = upright.items[i]!;
      const r = rotated.items[i]!;
      expect(u.truth.rotated180).toBe(false);
      expect(r.truth.rotated180).toBe(true);
      expect({ ...r.truth, rotated180: false }).toEqual(u.truth);
      const expected = await sharp(u.data).rotate(180).raw().toBuffer();
      const actual = await sharp(r.data).raw().toBuffer();
      expect(actual.equals(expected)).toBe(true);
      expect(actual.equals(await sharp(u.data).raw().toBuffer())).toBe(false);
    }
  });

  it('honours noise share, formats and max width', async () => {
    const noisy = await generateCorpus({ ...base, noiseShare: 1, formats: ['jpeg'], maxWidth: 640 });
    for (const item of noisy.truth.items) {
      expect(item).toMatchObject({ noise: true, format: 'jpeg' });
      expect(item.width).toBeLessThanOrEqual(640);
      for (const line of item.lines) expect(line.split(' ').length).toBeGreaterThanOrEqual(2);
    }
    const clean = await generateCorpus({ ...base, noiseShare: 0 });
    expect(clean.truth.items.every((i) => !i.noise)).toBe(true);
  });

  it('writes the images and truth.json when given a directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corpus-spec-'));
    try {
      const corpus = await generateCorpus({ ...base, count: 2, outDir: join(dir, 'nested') });
      expect(readTruth(join(dir, 'nested', 'truth.json'))).toEqual(corpus.truth);
      for (const item of corpus.items) {
        expect(readFileSync(join(dir, 'nested', item.truth.file)).equals(item.data)).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('MIN_MAX_WIDTH', () => {
  it('fits the widest possible 2-word line at the smallest size and widest margins in every font', async () => {
    const longest = [...WORDS].sort((a, b) => b.length - a.length || a.localeCompare(b));
    const longestShort = longest.filter((w) => w.length <= 8);
    const word = longest[0]!.toUpperCase();
    const worst = [
      `${longestShort[0]}@${longestShort[1]}.com ${word}`,
      `${word} ${longest[1]!.toUpperCase()}`,
      `TKT-2027-9999 ${word}`,
      'GBP 99,999.99',
    ];
    // Margins are at most 1.2 em + 12 px per side.
    const available = MIN_MAX_WIDTH - 2 * (Math.round(FONT_SIZE.min * 1.2) + 12);
    for (const font of installedFontFamilies()) {
      const mask = await rasteriseText({ lines: worst, font, fontSize: FONT_SIZE.min, lineHeight: 30 });
      // The font rides along so a failure names it.
      expect({ font, width: mask.width, fits: mask.width <= available }).toMatchObject({ font, fits: true });
    }
  });
});

describe('resolveSettings', () => {
  const fonts = ['DejaVu Sans'];
  it('fills defaults', () => {
    expect(resolveSettings({ seed: 1, count: 1, fonts })).toEqual({
      rotatedShare: 0.25,
      noiseShare: 0.3,
      formats: ['png', 'jpeg'],
      maxWidth: 960,
      fonts,
    });
  });

  it.each<[Partial<CorpusOptions>, RegExp]>([
    [{ seed: -1 }, /seed must be an integer/],
    [{ seed: 1.5 }, /seed must be an integer/],
    [{ count: 0 }, /count must be an integer in \[1, 100000\]/],
    [{ count: 2.5 }, /count must be/],
    [{ rotatedShare: 1.5 }, /rotatedShare must be a number in \[0, 1\]/],
    [{ noiseShare: Number.NaN }, /noiseShare must be/],
    [{ formats: [] }, /at least one format/],
    // Deliberately wrong type, as a JavaScript caller could pass it.
    [{ formats: ['gif' as 'png'] }, /unknown format "gif"/],
    [{ maxWidth: 639 }, /maxWidth must be an integer in \[640, 10000\]/],
    [{ fonts: [] }, /fonts must be a non-empty list/],
    [{ fonts: [' '] }, /fonts must be a non-empty list/],
  ])('rejects %j', (override, message) => {
    expect(() => resolveSettings({ seed: 1, count: 1, fonts, ...override })).toThrow(message);
  });
});
