import { decodeSafetensors, encodeSafetensors, tensor, type TensorBundle } from '@conveyor/contracts';
import type { Quad, RasterImage } from '@conveyor/ocr';
import {
  decodeDetectedPage,
  decodePreprocessed,
  decodeRecognized,
  decodeRegions,
  encodeDetectedPage,
  encodePreprocessed,
  encodeRecognized,
  encodeRegions,
  type RecognizedLines,
} from './wire';

const image = (width: number, height: number, fill = 7): RasterImage => ({ width, height, channels: 3, data: new Uint8Array(width * height * 3).fill(fill) });
const box: Quad = [[1, 2], [30, 2], [30, 12], [1, 12]];
/** Through the real byte format, as between two stages. */
const overTheWire = (bundle: TensorBundle) => decodeSafetensors(encodeSafetensors(bundle));

describe('stage wire formats round-trip through safetensors', () => {
  it('ocr.preprocessed', () => {
    const page = { page: image(50, 40), detection: image(64, 32, 9), originalWidth: 100, originalHeight: 80 };
    expect(decodePreprocessed(overTheWire(encodePreprocessed(page)))).toEqual(page);
  });

  it('ocr.regions, with and without alternates', () => {
    const regions = {
      lines: [image(96, 48), image(40, 48, 3)],
      angles: [180, 0] as (0 | 180)[],
      alternates: new Map([[1, image(40, 48, 4)]]),
      boxes: [box, box],
      pageAngle: 180 as const,
      originalWidth: 640,
      originalHeight: 480,
    };
    expect(decodeRegions(overTheWire(encodeRegions(regions)))).toEqual(regions);
    const empty = { ...regions, lines: [], angles: [], alternates: new Map(), boxes: [], pageAngle: 0 as const };
    expect(decodeRegions(overTheWire(encodeRegions(empty)))).toEqual(empty);
  });

  it('ocr.recognized keeps each row its own length', () => {
    const recognized: RecognizedLines = {
      lines: [
        { indices: Int32Array.from([1, 0, 2]), scores: Float32Array.from([0.5, 0.25, 1]) },
        { indices: Int32Array.from([3]), scores: Float32Array.from([0.75]) },
      ],
      angles: [0, 180],
      alternates: new Map([[0, { indices: Int32Array.from([4, 4]), scores: Float32Array.from([0.5, 0.5]) }]]),
      boxes: [box, box],
      pageAngle: 0,
      originalWidth: 10,
      originalHeight: 10,
    };
    expect(decodeRecognized(overTheWire(encodeRecognized(recognized)))).toEqual(recognized);
  });
});

describe('the detected page (features in detect mode) round-trips', () => {
  it.each([
    ['with boxes', [box, box]],
    ['with no text on the page', []],
  ])('%s', (_name, boxes) => {
    const detected = { page: image(50, 40), boxes: boxes as (typeof box)[], originalWidth: 100, originalHeight: 80 };
    expect(decodeDetectedPage(overTheWire(encodeDetectedPage(detected)))).toEqual(detected);
  });

  it('refuses a box count that does not match the boxes', () => {
    const bundle = encodeDetectedPage({ page: image(5, 4), boxes: [box], originalWidth: 5, originalHeight: 4 });
    expect(() => decodeDetectedPage({ ...bundle, metadata: { ...bundle.metadata, boxes: '2' } })).toThrow(/boxes/);
  });
});

describe('malformed stage payloads are rejected with a named reason', () => {
  const valid = encodePreprocessed({ page: image(50, 40), detection: image(64, 32), originalWidth: 100, originalHeight: 80 });
  it.each([
    ['a missing tensor', { ...valid, tensors: { page: valid.tensors['page'] } }, /detection/],
    ['a detection input not a multiple of 32', { ...valid, tensors: { ...valid.tensors, detection: tensor('uint8', [30, 64, 3]) } }, /multiples of 32/],
    ['a grey image', { ...valid, tensors: { ...valid.tensors, page: tensor('uint8', [40, 50, 1]) } }, /RGB/],
    ['a float page', { ...valid, tensors: { ...valid.tensors, page: tensor('float32', [40, 50, 3]) } }, /uint8/],
    ['a bad size metadata', { ...valid, metadata: { ...valid.metadata, originalWidth: '-3' } }, /originalWidth/],
  ])('%s', (_name, bundle, message) => {
    expect(() => decodePreprocessed(bundle as TensorBundle)).toThrow(message);
  });

  it('an alternate naming a line that does not exist', () => {
    const regions = encodeRegions({ lines: [image(10, 48)], angles: [0], alternates: new Map([[5, image(10, 48)]]), boxes: [box], pageAngle: 0, originalWidth: 9, originalHeight: 9 });
    expect(() => decodeRegions(regions)).toThrow(/names line 5/);
  });
});
