import sharp from 'sharp';
import { expectContractError } from './expect-contract-error.test-support';
import {
  checkImagePayload,
  isSupportedImageType,
  normalizeMediaType,
  sniffImageType,
  SUPPORTED_IMAGE_TYPES,
  type SupportedImageType,
} from './media';

/** Real images, encoded by the same sharp the preprocess stage decodes with. */
async function encode(format: 'png' | 'jpeg' | 'webp' | 'tiff' | 'gif' | 'avif'): Promise<Buffer> {
  return sharp({ create: { width: 16, height: 8, channels: 3, background: '#336699' } })
    .toFormat(format)
    .toBuffer();
}

const formats: [SupportedImageType, Parameters<typeof encode>[0], string][] = [
  ['image/png', 'png', 'png'],
  ['image/jpeg', 'jpeg', 'jpeg'],
  ['image/webp', 'webp', 'webp'],
  ['image/tiff', 'tiff', 'tiff'],
  ['image/gif', 'gif', 'gif'],
  ['image/avif', 'avif', 'heif'],
];

describe('supported image types', () => {
  it('lists exactly the formats tested below', () => {
    expect([...SUPPORTED_IMAGE_TYPES].sort()).toEqual(formats.map(([type]) => type).sort());
  });

  it.each(formats)('%s: sharp decodes it and sniffing recognises it', async (type, format, sharpFormat) => {
    const image = await encode(format);
    expect((await sharp(image).metadata()).format).toBe(sharpFormat);
    expect(sniffImageType(image)).toBe(type);
    expect(checkImagePayload(type, image)).toBe(type);
  });

  it('sharp really cannot decode HEIC, which is why it is not listed', () => {
    expect(sharp.format.heif.input.fileSuffix).toEqual(['.avif']);
  });
});

describe('normalizeMediaType / isSupportedImageType', () => {
  it.each([
    ['image/png', 'image/png', true],
    ['IMAGE/PNG', 'image/png', true],
    [' image/jpeg ; q=0.9', 'image/jpeg', true],
    ['image/jpg', 'image/jpeg', true],
    ['image/pjpeg', 'image/jpeg', true],
    ['image/x-png', 'image/png', true],
    ['image/tif', 'image/tiff', true],
    ['image/svg+xml', 'image/svg+xml', false],
    ['image/heic', 'image/heic', false],
    ['application/octet-stream', 'application/octet-stream', false],
    ['', '', false],
  ])('%j -> %j (supported: %s)', (input, normalized, supported) => {
    expect(normalizeMediaType(input)).toBe(normalized);
    expect(isSupportedImageType(input)).toBe(supported);
  });

  it('undefined is not supported', () => {
    expect(isSupportedImageType(undefined)).toBe(false);
  });
});

describe('sniffImageType on hand-written signatures', () => {
  const ftyp = (major: string, ...compatible: string[]): Buffer => {
    const brands = Buffer.from(major + '\0\0\0\0' + compatible.join(''), 'latin1');
    const size = Buffer.alloc(4);
    size.writeUInt32BE(8 + brands.length);
    return Buffer.concat([size, Buffer.from('ftyp'), brands, Buffer.alloc(8)]);
  };
  it.each<[string, Buffer, string | undefined]>([
    ['PNG', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), 'image/png'],
    ['PNG cut short', Buffer.from([0x89, 0x50, 0x4e, 0x47]), undefined],
    ['JPEG', Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 'image/jpeg'],
    ['WebP', Buffer.from('RIFF\x10\0\0\0WEBPVP8 ', 'latin1'), 'image/webp'],
    ['RIFF but WAVE', Buffer.from('RIFF\x10\0\0\0WAVEfmt ', 'latin1'), undefined],
    ['TIFF little-endian', Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]), 'image/tiff'],
    ['TIFF big-endian', Buffer.from([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8]), 'image/tiff'],
    ['BigTIFF', Buffer.from([0x49, 0x49, 0x2b, 0x00, 8, 0, 0, 0]), 'image/tiff'],
    ['GIF87a', Buffer.from('GIF87a\x10\0', 'latin1'), 'image/gif'],
    ['GIF89a', Buffer.from('GIF89a\x10\0', 'latin1'), 'image/gif'],
    ['AVIF major brand', ftyp('avif', 'mif1', 'miaf'), 'image/avif'],
    ['AVIF compatible brand', ftyp('mif1', 'avif'), 'image/avif'],
    ['HEIC', ftyp('heic', 'mif1', 'heic'), 'image/heic'],
    ['generic HEIF', ftyp('mif1', 'miaf'), 'image/heif'],
    ['MP4', ftyp('isom', 'iso2', 'mp41'), undefined],
    ['PDF', Buffer.from('%PDF-1.7\n'), 'application/pdf'],
    ['BMP', Buffer.from('BM\x46\0\0\0\0\0\0\0\x36\0\0\0', 'latin1'), 'image/bmp'],
    ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/svg+xml'],
    ['SVG with XML prolog', Buffer.from('  <?xml version="1.0"?>\n<svg/>'), 'image/svg+xml'],
    ['text', Buffer.from('hello world'), undefined],
    ['empty', Buffer.alloc(0), undefined],
  ])('%s', (_name, buf, expected) => {
    expect(sniffImageType(buf)).toBe(expected);
  });
});

describe('checkImagePayload rejects', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
  const supported = 'image/png, image/jpeg, image/webp, image/tiff, image/gif, image/avif';
  it.each<[string, string | undefined, Buffer, Parameters<typeof expectContractError>[1], string]>([
    [
      'a missing content-type',
      undefined,
      png,
      'MISSING_HEADER',
      `missing Kafka header "content-type": send the image's MIME type (${supported})`,
    ],
    [
      'an unsupported content-type',
      'text/plain',
      png,
      'UNSUPPORTED_MEDIA_TYPE',
      `content-type "text/plain" is not a supported image type (supported: ${supported})`,
    ],
    [
      'an empty payload',
      'image/png',
      Buffer.alloc(0),
      'UNSUPPORTED_MEDIA_TYPE',
      'payload is empty but content-type says image/png',
    ],
    [
      'bytes that are no image',
      'image/png',
      Buffer.from('hello world'),
      'UNSUPPORTED_MEDIA_TYPE',
      'payload is not a recognisable image: content-type says image/png but the first bytes are 68 65 6c 6c 6f 20 77 6f',
    ],
    [
      'a recognised but unsupported image',
      'image/png',
      Buffer.from('%PDF-1.7\n'),
      'UNSUPPORTED_MEDIA_TYPE',
      `payload is application/pdf, which is not supported (supported: ${supported})`,
    ],
    [
      'a supported image of another type than declared',
      'image/jpeg',
      png,
      'MEDIA_TYPE_MISMATCH',
      'content-type says image/jpeg but the payload is image/png',
    ],
  ])('%s', (_name, contentType, bytes, code, message) => {
    expectContractError(() => checkImagePayload(contentType, bytes), code, message);
  });

  it('accepts an alias and parameters, returning the normalised type', () => {
    expect(checkImagePayload('Image/PNG; charset=binary', png)).toBe('image/png');
  });
});
