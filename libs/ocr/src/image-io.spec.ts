import sharp from 'sharp';
import { decodeImage, resizeForDetection, resizeImage } from './image-io';

describe('decodeImage', () => {
  it('decodes a colour PNG to RGB', async () => {
    const png = await sharp({ create: { width: 3, height: 2, channels: 3, background: { r: 200, g: 100, b: 50 } } })
      .png()
      .toBuffer();
    const image = await decodeImage(png);
    expect([image.width, image.height, image.channels, image.data.length]).toEqual([3, 2, 3, 18]);
    expect([...image.data.subarray(0, 3)]).toEqual([200, 100, 50]);
  });

  it('promotes grey to three channels', async () => {
    const png = await sharp(Buffer.from([10, 20, 30, 40]), { raw: { width: 2, height: 2, channels: 1 } })
      .png()
      .toBuffer();
    const image = await decodeImage(png);
    expect(image.channels).toBe(3);
    expect([...image.data.subarray(0, 6)]).toEqual([10, 10, 10, 20, 20, 20]);
  });

  it('flattens transparency onto white', async () => {
    const png = await sharp({
      create: { width: 1, height: 1, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    expect([...(await decodeImage(png)).data]).toEqual([255, 255, 255]);
  });

  it('applies the EXIF orientation', async () => {
    // Stored 4×2 with orientation 6 ("rotate 90° clockwise to display"): displayed 2×4.
    const jpeg = await sharp({ create: { width: 4, height: 2, channels: 3, background: '#808080' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const image = await decodeImage(jpeg);
    expect([image.width, image.height]).toEqual([2, 4]);
  });

  it.each<[string, Uint8Array, RegExp]>([
    ['empty input', new Uint8Array(0), /empty/],
    ['bytes that are no image', new TextEncoder().encode('definitely not an image'), /unsupported image format/i],
  ])('rejects %s', async (_name, bytes, message) => {
    await expect(decodeImage(bytes)).rejects.toThrow(message);
  });

  it('refuses images above the pixel limit', async () => {
    const png = await sharp({ create: { width: 100, height: 100, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    await expect(decodeImage(png, { maxPixels: 5000 })).rejects.toThrow(/pixel limit/i);
  });
});

describe('resizeImage / resizeForDetection', () => {
  const image = { width: 100, height: 50, channels: 3, data: new Uint8Array(100 * 50 * 3).fill(128) };

  it('resizes to the exact size', async () => {
    const out = await resizeImage(image, 40, 30);
    expect([out.width, out.height, out.channels, out.data.length]).toEqual([40, 30, 3, 3600]);
    expect(out.data[0]).toBe(128);
  });

  it('picks the detection size', async () => {
    const out = await resizeForDetection(image);
    expect([out.width, out.height]).toEqual([96, 64]);
  });
});
