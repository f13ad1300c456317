import {
  batchLineInputs,
  widthClassBatches,
  CLS_WIDTH,
  recInputWidth,
  recWidthBucket,
  toClsInput,
  toRecInput,
  type LineInput,
} from './rec-input';
import type { RasterImage } from './types';

const solid = (width: number, height: number, value: number): RasterImage => ({
  width,
  height,
  channels: 3,
  data: new Uint8Array(width * height * 3).fill(value),
});

describe('recInputWidth', () => {
  it.each<[string, number, number, object, number]>([
    ['keeps the aspect ratio at height 48', 100, 50, {}, 96],
    ['rounds up', 101, 48, {}, 101],
    ['a tall sliver keeps at least one column', 1, 1000, {}, 1],
    ['capped by maxWidth', 4000, 48, { maxWidth: 320 }, 320],
    ['default cap 2048', 10000, 48, {}, 2048],
    ['other model height', 100, 50, { height: 32 }, 64],
  ])('%s', (_name, width, height, options, expected) => {
    expect(recInputWidth(width, height, options)).toBe(expected);
  });

  it('rejects an empty crop', () => {
    expect(() => recInputWidth(0, 10)).toThrow(RangeError);
  });
});

describe('recWidthBucket', () => {
  it.each<[string, number, object, number]>([
    ['one column', 1, {}, 32],
    ['exact multiple', 32, {}, 32],
    ['just above', 33, {}, 64],
    ['near the cap', 2047, {}, 2048],
    ['beyond the cap', 5000, {}, 2048],
    ['custom step', 100, { step: 64 }, 128],
    ['cap not a multiple of the step', 300, { maxWidth: 320, step: 96 }, 320],
  ])('%s', (_name, width, options, expected) => {
    expect(recWidthBucket(width, options)).toBe(expected);
  });
});

describe('toRecInput', () => {
  it('scales to height 48 and normalises white to 1', () => {
    const input = toRecInput(solid(20, 10, 255));
    expect([input.height, input.width, input.contentWidth]).toEqual([48, 96, 96]);
    expect(input.data).toHaveLength(3 * 48 * 96);
    expect(new Set(input.data)).toEqual(new Set([1]));
  });

  it('pads on the right with zeros up to the tensor width', () => {
    const input = toRecInput(solid(20, 10, 0), { width: 100 });
    expect(input.contentWidth).toBe(96);
    const row = [...input.data.subarray(0, 100)];
    expect(row.slice(0, 96).every((v) => v === -1)).toBe(true);
    expect(row.slice(96)).toEqual([0, 0, 0, 0]);
  });

  it('squeezes a crop wider than the tensor width', () => {
    const input = toRecInput(solid(200, 10, 255), { width: 64 });
    expect([input.width, input.contentWidth]).toEqual([64, 64]);
    expect(new Set(input.data)).toEqual(new Set([1]));
  });

  it('rejects a grey image', () => {
    expect(() => toRecInput({ width: 2, height: 2, channels: 1, data: new Uint8Array(4) })).toThrow(/3-channel/);
  });
});

describe('toClsInput', () => {
  it.each<[string, RasterImage, number]>([
    ['a short line is padded to 192', solid(50, 48, 255), 50],
    ['a long line is squeezed to 192', solid(1000, 48, 255), 192],
  ])('%s', (_name, crop, contentWidth) => {
    const input = toClsInput(crop);
    expect([input.height, input.width, input.contentWidth]).toEqual([48, CLS_WIDTH, contentWidth]);
  });
});

describe('batchLineInputs', () => {
  const input = (width: number, value: number): LineInput => ({
    data: new Float32Array(3 * 2 * width).fill(value),
    height: 2,
    width,
    contentWidth: width,
  });

  it('stacks inputs, padding the narrower ones on the right', () => {
    const batch = batchLineInputs([input(3, 1), input(1, 2)]);
    expect(batch.shape).toEqual([2, 3, 2, 3]);
    const item1 = [...batch.data.subarray(18)];
    // Each of its 6 rows (3 channels × 2 rows) is [2, 0, 0].
    expect(item1).toEqual([2, 0, 0, 2, 0, 0, 2, 0, 0, 2, 0, 0, 2, 0, 0, 2, 0, 0]);
    expect([...batch.data.subarray(0, 18)].every((v) => v === 1)).toBe(true);
  });

  it('pads everything to an explicit bucket width', () => {
    expect(batchLineInputs([input(3, 1)], 8).shape).toEqual([1, 3, 2, 8]);
  });

  it.each<[string, LineInput[], number | undefined, RegExp]>([
    ['an empty batch', [], undefined, /empty/],
    ['an input wider than the bucket', [input(3, 1)], 2, /> 2/],
    [
      'mixed heights',
      [input(3, 1), { ...input(3, 1), height: 3, data: new Float32Array(27) }],
      undefined,
      /mixed heights/,
    ],
    ['a short buffer', [{ ...input(3, 1), data: new Float32Array(5) }], undefined, /not 3x2x3/],
  ])('rejects %s', (_name, inputs, width, message) => {
    expect(() => batchLineInputs(inputs, width)).toThrow(message);
  });
});

describe('widthClassBatches', () => {
  it.each([
    { name: 'one class, split by batch size', widths: [40, 50, 60], batch: 2, expected: [[64, [40, 50]], [64, [60]]] },
    { name: 'classes in order of first appearance', widths: [100, 30, 90, 33], batch: 8, expected: [[128, [100]], [32, [30]], [96, [90]], [64, [33]]] },
    { name: 'same class keeps given order', widths: [33, 64, 40], batch: 8, expected: [[64, [33, 64, 40]]] },
    { name: 'capped at maxWidth', widths: [5000, 3000], batch: 8, expected: [[2048, [5000, 3000]]] },
    { name: 'nothing to batch', widths: [], batch: 4, expected: [] },
  ])('$name', ({ widths, batch, expected }) => {
    const batches = widthClassBatches(widths, (w) => w, batch, { maxWidth: 2048 });
    expect(batches.map((b) => [b.widthClass, b.items])).toEqual(expected);
  });

  it('rejects a batch size below 1', () => {
    expect(() => widthClassBatches([1], (w) => w, 0)).toThrow('batch size must be >= 1');
  });
});
