// Rendering in two steps: librsvg (through sharp) rasterises the text once as
// a coverage mask cropped to its ink, then the page is composed from the mask
// on raw pixels. Composing by hand keeps margins exact, lets the generator
// measure a line before choosing its size, and makes the noise reproducible.
import sharp from 'sharp';
import { mulberry32 } from './prng';

export type ImageFormat = 'png' | 'jpeg';
export const IMAGE_FORMATS: readonly ImageFormat[] = ['png', 'jpeg'];

export type Rgb = readonly [number, number, number];

/** Text coverage (0 = paper, 255 = ink) cropped to the ink's bounding box. */
export interface TextMask {
  width: number;
  height: number;
  alpha: Uint8Array;
}

export interface TextLayout {
  lines: readonly string[];
  font: string;
  /** CSS pixels; the SVG is rendered at 72 dpi, so one CSS pixel is one image pixel. */
  fontSize: number;
  /** Distance between baselines, in pixels. */
  lineHeight: number;
}

export interface PageStyle {
  margin: { top: number; right: number; bottom: number; left: number };
  textColor: Rgb;
  backgroundColor: Rgb;
  /** Standard deviation of the pixel noise (one value per pixel, added to every channel, like sensor grain); 0 for none. */
  noiseSigma: number;
  /** Seeds the noise, so the same page always gets the same grain. */
  noiseSeed: number;
  rotated180: boolean;
  format: ImageFormat;
  /** JPEG quality 1–100; ignored for PNG. */
  quality: number;
}

export interface RenderedImage {
  data: Buffer;
  format: ImageFormat;
  width: number;
  height: number;
}

const escapeXml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);

function layoutSvg(layout: TextLayout, width: number, height: number): string {
  const { fontSize, lineHeight } = layout;
  const texts = layout.lines.map(
    (line, i) =>
      `<text x="${fontSize}" y="${fontSize * 2 + i * lineHeight}" xml:space="preserve">${escapeXml(line)}</text>`,
  );
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<g font-family="${escapeXml(layout.font)}" font-size="${fontSize}" fill="#000">${texts.join('')}</g></svg>`
  );
}

/** Rasterises the lines and crops the result to the ink. */
export async function rasteriseText(layout: TextLayout): Promise<TextMask> {
  if (layout.lines.length === 0) throw new RangeError('rasteriseText needs at least one line');
  if (!(layout.fontSize > 0) || !(layout.lineHeight > 0)) {
    throw new RangeError(`fontSize and lineHeight must be positive, got ${layout.fontSize} and ${layout.lineHeight}`);
  }
  const longest = Math.max(...layout.lines.map((l) => l.length));
  // Generous first guess (no glyph of these fonts is wider than 1 em); doubled
  // if ink still reaches the edge, so nothing is ever clipped.
  let width = Math.ceil(layout.fontSize * (longest + 4));
  let height = Math.ceil(layout.lineHeight * (layout.lines.length - 1) + layout.fontSize * 4);
  for (;;) {
    const { data, info } = await sharp(Buffer.from(layoutSvg(layout, width, height)))
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const box = inkBox(data, info.width, info.height, info.channels);
    if (!box) throw new Error(`font "${layout.font}" rendered no ink for ${JSON.stringify(layout.lines)}`);
    if (box.left > 0 && box.top > 0 && box.right < info.width - 1 && box.bottom < info.height - 1) {
      return cropAlpha(data, info.width, info.channels, box);
    }
    width *= 2;
    height *= 2;
  }
}

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

function inkBox(rgba: Buffer, width: number, height: number, channels: number): Box | null {
  let left = width;
  let top = height;
  let right = -1;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (rgba[(y * width + x) * channels + channels - 1] !== 0) {
        if (x < left) left = x;
        if (x > right) right = x;
        if (y < top) top = y;
        bottom = y;
      }
    }
  }
  return right < 0 ? null : { left, top, right, bottom };
}

function cropAlpha(rgba: Buffer, width: number, channels: number, box: Box): TextMask {
  const w = box.right - box.left + 1;
  const h = box.bottom - box.top + 1;
  const alpha = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      alpha[y * w + x] = rgba[((box.top + y) * width + box.left + x) * channels + channels - 1] as number;
    }
  }
  return { width: w, height: h, alpha };
}

/** Size of the page that composePage makes from a mask (before rotation, which keeps it). */
export function pageSize(mask: TextMask, margin: PageStyle['margin']): { width: number; height: number } {
  return { width: mask.width + margin.left + margin.right, height: mask.height + margin.top + margin.bottom };
}

/** Raw upright RGB pixels of the page: paper, ink blended by coverage, then noise. */
export function composePixels(mask: TextMask, style: PageStyle): { pixels: Buffer; width: number; height: number } {
  const { width, height } = pageSize(mask, style.margin);
  const out = new Uint8Array(width * height * 3);
  const noise = style.noiseSigma > 0 ? mulberry32(style.noiseSeed) : null;
  const sigma = style.noiseSigma;
  const [br, bg, bb] = style.backgroundColor;
  const [tr, tg, tb] = style.textColor;
  const { top, left } = style.margin;
  const { alpha, width: mw, height: mh } = mask;
  let i = 0;
  for (let y = 0; y < height; y++) {
    const my = y - top;
    const rowInside = my >= 0 && my < mh;
    for (let x = 0; x < width; x++) {
      const mx = x - left;
      const a = rowInside && mx >= 0 && mx < mw ? (alpha[my * mw + mx] as number) / 255 : 0;
      const grain = noise ? noise.gaussian() * sigma : 0;
      // Uint8Array stores with truncation, so round and clamp explicitly.
      out[i++] = clamp(br * (1 - a) + tr * a + grain);
      out[i++] = clamp(bg * (1 - a) + tg * a + grain);
      out[i++] = clamp(bb * (1 - a) + tb * a + grain);
    }
  }
  return { pixels: Buffer.from(out.buffer, out.byteOffset, out.byteLength), width, height };
}

// Local binding: a global `Math` lookup per pixel is slow inside vm contexts (Jest).
const { round } = Math;
const clamp = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : round(v));

/** Encodes the page, turned by 180° when asked. */
export async function composePage(mask: TextMask, style: PageStyle): Promise<RenderedImage> {
  const { pixels, width, height } = composePixels(mask, style);
  let image = sharp(pixels, { raw: { width, height, channels: 3 } });
  if (style.rotated180) image = image.rotate(180);
  image =
    style.format === 'png'
      ? image.png({ compressionLevel: 9 })
      : image.jpeg({ quality: style.quality, chromaSubsampling: '4:4:4' });
  return { data: await image.toBuffer(), format: style.format, width, height };
}
