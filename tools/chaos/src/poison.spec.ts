import { decodeImage } from '@conveyor/ocr';
import { pixelBombPng } from './poison';

describe('pixelBombPng', () => {
  it('is a PNG whose header claims the pixels, which the image decoder refuses before allocating them', async () => {
    const bomb = pixelBombPng(60_000, 60_000);
    expect(bomb.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(bomb.readUInt32BE(16)).toBe(60_000);
    expect(bomb.length).toBeLessThan(200);
    await expect(decodeImage(bomb, { maxPixels: 100_000_000 })).rejects.toThrow(/pixel limit/i);
  });

  it('decodes when the claimed size is small (the chunks and their CRCs are well formed)', async () => {
    await expect(decodeImage(pixelBombPng(8, 8))).resolves.toBeDefined();
  });
});
