/**
 * Which images `ocr.requests` accepts. The list is what the installed sharp
 * (prebuilt libvips) decodes from a buffer, checked with `sharp.format`:
 * JPEG, PNG, WebP, TIFF, GIF, and HEIF *with AVIF compression only* (the
 * prebuilt libvips carries no HEVC decoder, so HEIC photos fail). SVG is
 * decodable but left out on purpose: it is a document format that renders
 * at any size, not a scan, and a stage should not rasterise untrusted XML.
 */
import { ContractError, quote } from './errors';

export const SUPPORTED_IMAGE_TYPES = [
  'image/png',
  'image/jpeg',
  'image/webp',
  'image/tiff',
  'image/gif',
  'image/avif',
] as const;

export type SupportedImageType = (typeof SUPPORTED_IMAGE_TYPES)[number];

/** Common misspellings that mean a supported type. */
const ALIASES: Readonly<Record<string, SupportedImageType>> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/x-png': 'image/png',
  'image/tif': 'image/tiff',
};

/** `Image/JPEG; foo=bar` -> `image/jpeg`: lower case, parameters dropped, aliases resolved. */
export function normalizeMediaType(contentType: string): string {
  const essence = contentType.split(';', 1)[0].trim().toLowerCase();
  return ALIASES[essence] ?? essence;
}

export function isSupportedImageType(contentType: string | undefined): boolean {
  if (typeof contentType !== 'string') return false;
  return (SUPPORTED_IMAGE_TYPES as readonly string[]).includes(normalizeMediaType(contentType));
}

function startsWith(buf: Uint8Array, signature: readonly number[], at = 0): boolean {
  if (buf.length < at + signature.length) return false;
  return signature.every((byte, i) => buf[at + i] === byte);
}

function ascii(buf: Uint8Array, at: number, length: number): string {
  return buf.length < at + length ? '' : String.fromCharCode(...buf.subarray(at, at + length));
}

const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx']);
const HEIF_BRANDS = new Set(['mif1', 'msf1']);

/** ISO-BMFF `ftyp` box: major brand at 8, compatible brands from 16 to the box's end. */
function sniffFtyp(buf: Uint8Array): string | undefined {
  if (ascii(buf, 4, 4) !== 'ftyp') return undefined;
  const boxSize = ((buf[0] << 24) | (buf[1] << 16) | (buf[2] << 8) | buf[3]) >>> 0;
  const end = Math.min(buf.length, boxSize >= 16 ? boxSize : 16);
  const brands = [ascii(buf, 8, 4)];
  for (let at = 16; at + 4 <= end; at += 4) brands.push(ascii(buf, at, 4));
  if (brands.some((b) => AVIF_BRANDS.has(b))) return 'image/avif';
  if (brands.some((b) => HEIC_BRANDS.has(b))) return 'image/heic';
  if (brands.some((b) => HEIF_BRANDS.has(b))) return 'image/heif';
  return undefined;
}

/**
 * The media type the bytes' signature ("magic number") says, or undefined
 * when none matches. Knows the supported types and a few common unsupported
 * ones (HEIC, BMP, PDF, SVG) so a rejection can say what was actually sent.
 */
export function sniffImageType(buf: Uint8Array): string | undefined {
  if (startsWith(buf, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(buf, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (ascii(buf, 0, 4) === 'RIFF' && ascii(buf, 8, 4) === 'WEBP') return 'image/webp';
  // Classic TIFF (42) and BigTIFF (43), little- and big-endian.
  if (
    startsWith(buf, [0x49, 0x49, 0x2a, 0x00]) ||
    startsWith(buf, [0x4d, 0x4d, 0x00, 0x2a]) ||
    startsWith(buf, [0x49, 0x49, 0x2b, 0x00]) ||
    startsWith(buf, [0x4d, 0x4d, 0x00, 0x2b])
  ) {
    return 'image/tiff';
  }
  const six = ascii(buf, 0, 6);
  if (six === 'GIF87a' || six === 'GIF89a') return 'image/gif';
  const ftyp = sniffFtyp(buf);
  if (ftyp !== undefined) return ftyp;
  if (ascii(buf, 0, 5) === '%PDF-') return 'application/pdf';
  if (ascii(buf, 0, 2) === 'BM' && buf.length >= 14) return 'image/bmp';
  const head = ascii(buf, 0, Math.min(buf.length, 256)).trimStart();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'image/svg+xml';
  return undefined;
}

function hexPreview(buf: Uint8Array, count = 8): string {
  return Array.from(buf.subarray(0, count), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Checks an `ocr.requests` payload against its declared `content-type` and
 * returns the normalised type. Throws MISSING_HEADER without a content-type,
 * UNSUPPORTED_MEDIA_TYPE when the declared or the actual type is not
 * supported, MEDIA_TYPE_MISMATCH when the bytes are another supported type
 * than declared (a producer bug worth hearing about, not guessing around).
 */
export function checkImagePayload(contentType: string | undefined, bytes: Uint8Array): SupportedImageType {
  const supported = SUPPORTED_IMAGE_TYPES.join(', ');
  if (contentType === undefined) {
    throw new ContractError(
      'MISSING_HEADER',
      `missing Kafka header "content-type": send the image's MIME type (${supported})`,
    );
  }
  const declared = normalizeMediaType(contentType);
  if (!isSupportedImageType(declared)) {
    throw new ContractError(
      'UNSUPPORTED_MEDIA_TYPE',
      `content-type ${quote(contentType)} is not a supported image type (supported: ${supported})`,
    );
  }
  if (bytes.length === 0) {
    throw new ContractError('UNSUPPORTED_MEDIA_TYPE', `payload is empty but content-type says ${declared}`);
  }
  const actual = sniffImageType(bytes);
  if (actual === undefined) {
    throw new ContractError(
      'UNSUPPORTED_MEDIA_TYPE',
      `payload is not a recognisable image: content-type says ${declared} but the first bytes are ${hexPreview(bytes)}`,
    );
  }
  if (!isSupportedImageType(actual)) {
    throw new ContractError(
      'UNSUPPORTED_MEDIA_TYPE',
      `payload is ${actual}, which is not supported (supported: ${supported})`,
    );
  }
  if (actual !== declared) {
    throw new ContractError('MEDIA_TYPE_MISMATCH', `content-type says ${declared} but the payload is ${actual}`);
  }
  return declared as SupportedImageType;
}
