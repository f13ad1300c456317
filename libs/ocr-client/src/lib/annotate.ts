import type { OcrResult } from '@conveyor/pipelines';
import sharp from 'sharp';

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

/**
 * The image with each recognised line's box outlined and its text written
 * above it, as PNG. Boxes are in the coordinates of the EXIF-oriented image,
 * so the image is oriented the same way first.
 */
export async function annotateImage(image: Buffer, result: OcrResult): Promise<Buffer> {
  const oriented = sharp(image).rotate();
  const { data, info } = await oriented.png().toBuffer({ resolveWithObject: true });
  const stroke = Math.max(2, Math.round(Math.min(info.width, info.height) / 300));
  const shapes = result.lines.map((line) => {
    const points = line.box.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
    const [x, y] = line.box[0];
    const height = Math.max(10, Math.hypot(line.box[3][0] - x, line.box[3][1] - y));
    const fontSize = Math.max(10, Math.round(height * 0.45));
    const labelY = Math.max(fontSize, y - stroke * 2);
    return [
      `<polygon points="${points}" fill="none" stroke="#e6194b" stroke-width="${stroke}"/>`,
      `<text x="${x.toFixed(1)}" y="${labelY.toFixed(1)}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" fill="#0000c8" stroke="#ffffff" stroke-width="${Math.max(1, fontSize / 8)}" paint-order="stroke">${escapeXml(line.text)}</text>`,
    ].join('');
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${info.width}" height="${info.height}">${shapes.join('')}</svg>`;
  return sharp(data).composite([{ input: Buffer.from(svg), top: 0, left: 0 }]).png().toBuffer();
}
