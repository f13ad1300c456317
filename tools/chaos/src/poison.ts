// Inputs that must not hurt the pipeline: each is answered with a `failed`
// result naming why, dead-lettered with its reason, and the requests around it
// go on. They come through the public contract as any producer's would.
import { crc32, deflateSync } from 'node:zlib';

export interface PoisonInput {
  name: string;
  contentType: string;
  data: Buffer;
  /** The error code its failed result must carry. */
  expectedCode: string;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A well-formed PNG whose header claims `width` × `height` pixels (8-bit grey)
 * with at most 1 KiB of (black) pixel data: a decoder that trusted the header
 * would allocate width × height bytes (a decompression bomb). Small sizes get
 * all their rows, so they decode.
 */
export function pixelBombPng(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(0, 9); // greyscale
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', header), pngChunk('IDAT', deflateSync(Buffer.alloc(Math.min((width + 1) * height, 1024)))), pngChunk('IEND', Buffer.alloc(0))]);
}

/** The poison inputs of a run, made from one good PNG of the corpus. */
export function poisonInputs(goodPng: Buffer): PoisonInput[] {
  return [
    { name: 'truncated PNG', contentType: 'image/png', data: goodPng.subarray(0, Math.floor(goodPng.length / 2)), expectedCode: 'UNDECODABLE_IMAGE' },
    { name: 'pixel bomb (60000 × 60000 PNG header)', contentType: 'image/png', data: pixelBombPng(60_000, 60_000), expectedCode: 'UNDECODABLE_IMAGE' },
    { name: 'PNG sent as image/jpeg', contentType: 'image/jpeg', data: goodPng, expectedCode: 'MEDIA_TYPE_MISMATCH' },
    { name: 'empty body', contentType: 'image/png', data: Buffer.alloc(0), expectedCode: 'EMPTY_IMAGE' },
  ];
}
