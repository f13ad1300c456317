import sharp from 'sharp';
import { composePage, composePixels, pageSize, rasteriseText, type PageStyle, type TextMask } from './render';

const style = (overrides: Partial<PageStyle> = {}): PageStyle => ({
  margin: { top: 1, right: 2, bottom: 3, left: 4 },
  textColor: [10, 20, 30],
  backgroundColor: [200, 210, 220],
  noiseSigma: 0,
  noiseSeed: 1,
  rotated180: false,
  format: 'png',
  quality: 90,
  ...overrides,
});

/** Pixel (x, y) of packed RGB data. */
const at = (pixels: Buffer, width: number, x: number, y: number): number[] => {
  const i = (y * width + x) * 3;
  return [pixels[i]!, pixels[i + 1]!, pixels[i + 2]!];
};

describe('composePixels', () => {
  // 2×1 mask: full ink, then half coverage.
  const mask: TextMask = { width: 2, height: 1, alpha: Uint8Array.from([255, 128]) };

  it('pads the mask with the margins and blends ink by coverage', () => {
    const { pixels, width, height } = composePixels(mask, style());
    expect([width, height]).toEqual([2 + 4 + 2, 1 + 1 + 3]);
    expect(pageSize(mask, style().margin)).toEqual({ width, height });
    expect(at(pixels, width, 0, 0)).toEqual([200, 210, 220]);
    expect(at(pixels, width, 7, 4)).toEqual([200, 210, 220]);
    expect(at(pixels, width, 4, 1)).toEqual([10, 20, 30]);
    // 200·(1 − 128/255) + 10·128/255 = 104.6 → 105, and likewise per channel.
    expect(at(pixels, width, 5, 1)).toEqual([105, 115, 125]);
  });

  it('adds the same grain for the same seed, other grain for another seed', () => {
    const big: TextMask = { width: 50, height: 50, alpha: new Uint8Array(2500) };
    const a = composePixels(big, style({ noiseSigma: 8, noiseSeed: 5 })).pixels;
    const b = composePixels(big, style({ noiseSigma: 8, noiseSeed: 5 })).pixels;
    const c = composePixels(big, style({ noiseSigma: 8, noiseSeed: 6 })).pixels;
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
    // The grain is centred on the paper colour with about the asked spread.
    const reds = Array.from({ length: a.length / 3 }, (_, i) => a[i * 3]! - 200);
    const mean = reds.reduce((s, v) => s + v, 0) / reds.length;
    const sd = Math.sqrt(reds.reduce((s, v) => s + (v - mean) ** 2, 0) / reds.length);
    expect(Math.abs(mean)).toBeLessThan(0.5);
    expect(sd).toBeGreaterThan(7);
    expect(sd).toBeLessThan(9);
  });
});

describe('rasteriseText', () => {
  it('crops the mask to the ink on every side', async () => {
    const mask = await rasteriseText({ lines: ['Total: $12.50'], font: 'DejaVu Sans', fontSize: 30, lineHeight: 40 });
    const row = (y: number) => mask.alpha.subarray(y * mask.width, (y + 1) * mask.width);
    const column = (x: number) => Array.from({ length: mask.height }, (_, y) => mask.alpha[y * mask.width + x]!);
    expect(row(0).some((a) => a > 0)).toBe(true);
    expect(row(mask.height - 1).some((a) => a > 0)).toBe(true);
    expect(column(0).some((a) => a > 0)).toBe(true);
    expect(column(mask.width - 1).some((a) => a > 0)).toBe(true);
    // 13 characters of a 30 px sans font: roughly 0.5–0.7 em each.
    expect(mask.width).toBeGreaterThan(13 * 30 * 0.45);
    expect(mask.width).toBeLessThan(13 * 30 * 0.75);
  });

  it('stacks lines by the line height and scales with the font size', async () => {
    const one = await rasteriseText({ lines: ['Hg'], font: 'DejaVu Serif', fontSize: 24, lineHeight: 36 });
    const two = await rasteriseText({ lines: ['Hg', 'Hg'], font: 'DejaVu Serif', fontSize: 24, lineHeight: 36 });
    const big = await rasteriseText({ lines: ['Hg'], font: 'DejaVu Serif', fontSize: 48, lineHeight: 72 });
    expect(two.height - one.height).toBe(36);
    expect(Math.abs(big.width - 2 * one.width)).toBeLessThanOrEqual(2);
  });

  it('keeps the whole of a line of wide glyphs', async () => {
    const line = 'W'.repeat(30);
    const mask = await rasteriseText({ lines: [line], font: 'DejaVu Sans', fontSize: 22, lineHeight: 30 });
    expect(mask.width).toBeGreaterThan(30 * 22 * 0.9);
  });

  it('rejects an empty page and a bad size', async () => {
    await expect(rasteriseText({ lines: [], font: 'DejaVu Sans', fontSize: 22, lineHeight: 30 })).rejects.toThrow(
      /at least one line/,
    );
    await expect(rasteriseText({ lines: ['a'], font: 'DejaVu Sans', fontSize: 0, lineHeight: 30 })).rejects.toThrow(
      /positive/,
    );
  });
});

describe('composePage', () => {
  let mask: TextMask;
  beforeAll(async () => {
    mask = await rasteriseText({
      lines: ['INV-2026-0042', 'Total due'],
      font: 'DejaVu Sans',
      fontSize: 26,
      lineHeight: 38,
    });
  });

  const decode = async (data: Buffer) => sharp(data).raw().toBuffer({ resolveWithObject: true });

  it('turns the page by 180° when asked: pixel (x, y) moves to (w-1-x, h-1-y)', async () => {
    const upright = await composePage(mask, style({ noiseSigma: 5 }));
    const turned = await composePage(mask, style({ noiseSigma: 5, rotated180: true }));
    expect([turned.width, turned.height]).toEqual([upright.width, upright.height]);
    const a = await decode(upright.data);
    const b = await decode(turned.data);
    expect(a.info.channels).toBe(3);
    const pixels = a.info.width * a.info.height;
    const reversed = Buffer.alloc(a.data.length);
    for (let p = 0; p < pixels; p++) a.data.copy(reversed, (pixels - 1 - p) * 3, p * 3, p * 3 + 3);
    expect(b.data.equals(reversed)).toBe(true);
    let same = 0;
    for (let i = 0; i < a.data.length; i++) if (a.data[i] === b.data[i]) same++;
    // And it is not the same picture: text is not symmetric.
    expect(same / a.data.length).toBeLessThan(0.95);
    expect(a.data.equals(b.data)).toBe(false);
  });

  it('encodes PNG losslessly and JPEG at the asked size', async () => {
    const png = await composePage(mask, style({ format: 'png' }));
    const jpeg = await composePage(mask, style({ format: 'jpeg', quality: 85 }));
    expect(await sharp(png.data).metadata()).toMatchObject({ format: 'png', width: png.width, height: png.height });
    expect(await sharp(jpeg.data).metadata()).toMatchObject({ format: 'jpeg', width: jpeg.width, height: jpeg.height });
    const raw = composePixels(mask, style());
    expect((await decode(png.data)).data.equals(raw.pixels)).toBe(true);
  });
});
