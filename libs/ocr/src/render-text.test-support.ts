import sharp from 'sharp';

export interface RenderOptions {
  readonly fontSize?: number;
  readonly fontFamily?: string;
  /** Turn the rendered page clockwise by this many degrees (multiples of 90). */
  readonly rotate?: number;
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Renders lines of black text on white as a PNG, the way a scanned page with a clean font looks. */
export async function renderTextPng(lines: readonly string[], options: RenderOptions = {}): Promise<Buffer> {
  const fontSize = options.fontSize ?? 32;
  const lineHeight = Math.round(fontSize * 1.6);
  const margin = fontSize;
  const width = Math.round(fontSize * 0.65 * Math.max(...lines.map((l) => l.length)) + 2 * margin);
  const height = lineHeight * lines.length + margin;
  const text = lines
    .map(
      (l, i) =>
        `<text x="${margin}" y="${margin / 2 + lineHeight * (i + 1) - fontSize * 0.4}" ` +
        `font-family="${options.fontFamily ?? 'DejaVu Sans'}" font-size="${fontSize}" fill="black">${escapeXml(l)}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${text}</svg>`;
  const png = await sharp(Buffer.from(svg)).png().toBuffer();
  return options.rotate ? sharp(png).rotate(options.rotate).png().toBuffer() : png;
}
