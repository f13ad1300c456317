import { mulberry32 } from '@conveyor/corpus';
import sharp from 'sharp';

export const LARGE_PAGE_LINES = ['Conveyor reads large pages too', 'Every request gets one result', 'Kafka carries the whole image'];

/**
 * A page that is large when encoded: light grey paper with per-pixel noise
 * (which PNG cannot compress away) and three lines of big dark text. About
 * 9 MB as PNG at the default size; seeded, so the same bytes every run.
 */
export async function renderLargeNoisyPage(width = 2480, height = 1650, seed = 2026): Promise<Buffer> {
  const rng = mulberry32(seed);
  const paper = Buffer.alloc(width * height * 3);
  for (let i = 0; i < paper.length; i++) paper[i] = 215 + rng.int(0, 40);
  const text = LARGE_PAGE_LINES.map(
    (line, i) => `<text x="${Math.round(width * 0.06)}" y="${Math.round(height * 0.2) + i * Math.round(height * 0.15)}" font-family="DejaVu Sans" font-size="${Math.round(height * 0.055)}" fill="#111">${line}</text>`,
  ).join('');
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${text}</svg>`);
  return sharp(paper, { raw: { width, height, channels: 3 } }).composite([{ input: svg }]).png().toBuffer();
}
