import { type ContractErrorCode } from './errors';
import { expectContractError } from './expect-contract-error.test-support';
import {
  decodeSafetensors,
  dtypeByteSize,
  elementCount,
  encodeSafetensors,
  isTensorOf,
  requireMetadata,
  requireTensor,
  tensor,
  type DType,
  type Tensor,
  type TensorBundle,
} from './safetensors';

function bytes(...parts: (number[] | string)[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
}

/** A payload from a raw header string, padded like the reference, plus raw data bytes. */
function payload(header: string, data: number[] = [], pad = true): Buffer {
  const json = Buffer.from(header, 'utf8');
  const padded = pad ? Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]) : json;
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(padded.length));
  return Buffer.concat([length, padded, Buffer.from(data)]);
}

describe('safetensors layout (byte-exact test vectors)', () => {
  // From the reference implementation's own tests (huggingface/safetensors,
  // safetensors/src/tensor.rs: test_serialization, test_empty,
  // test_serialization_forced_alignement), bytes copied verbatim.
  const referenceVectors: { name: string; bundle: TensorBundle; expected: number[] }[] = [
    {
      name: 'F32 [1,2,3] "attn.0" (header exactly 64 bytes, no padding)',
      bundle: { tensors: { 'attn.0': tensor('float32', [1, 2, 3], [0, 1, 2, 3, 4, 5]) }, metadata: {} },
      expected: [
        64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58,
        34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116,
        97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
        0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
      ],
    },
    {
      name: 'F32 [1,1,2,3] "attn0" (7 spaces of padding)',
      bundle: { tensors: { attn0: tensor('float32', [1, 1, 2, 3], [0, 1, 2, 3, 4, 5]) }, metadata: {} },
      expected: [
        72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34,
        70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97,
        116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
        32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
      ],
    },
    {
      name: 'no tensors, no metadata',
      bundle: { tensors: {}, metadata: {} },
      expected: [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32],
    },
    {
      name: 'no tensors, metadata framework=pt',
      bundle: { tensors: {}, metadata: { framework: 'pt' } },
      expected: [
        40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58, 123, 34, 102,
        114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112, 116, 34, 125, 125, 32, 32, 32, 32, 32,
      ],
    },
  ];

  it.each(referenceVectors)('encodes $name exactly like the reference', ({ bundle, expected }) => {
    expect([...encodeSafetensors(bundle)]).toEqual(expected);
  });

  it.each(referenceVectors)('decodes $name', ({ bundle, expected }) => {
    expect(decodeSafetensors(Buffer.from(expected))).toEqual(bundle);
  });

  // Built by hand: all four dtypes, a scalar, an empty tensor and metadata.
  // Layout rule checked here: tensors by descending alignment (I64, F32, I32,
  // U8), ties by name; header JSON of 253 bytes padded with 3 spaces to 256.
  const handHeader =
    '{"__metadata__":{"step":"regions"},' +
    '"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},' +
    '"s":{"dtype":"F32","shape":[],"data_offsets":[8,12]},' +
    '"e":{"dtype":"I32","shape":[0],"data_offsets":[12,12]},' +
    '"px":{"dtype":"U8","shape":[3],"data_offsets":[12,15]}}';
  const handVector = bytes(
    [0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00], // header length 256, u64 LE
    handHeader,
    [0x20, 0x20, 0x20], // padding to a multiple of 8
    [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // ids: int64 -2
    [0x00, 0x00, 0xc0, 0x3f], // s: float32 1.5
    [0x01, 0x02, 0xff], // px: uint8 1, 2, 255
  );
  const handBundle: TensorBundle = {
    tensors: {
      px: tensor('uint8', [3], [1, 2, 255]),
      e: tensor('int32', [0], []),
      s: tensor('float32', [], [1.5]),
      ids: tensor('int64', [1], [-2n]),
    },
    metadata: { step: 'regions' },
  };

  it('encodes the hand-built multi-dtype vector byte for byte', () => {
    expect(handHeader.length).toBe(253);
    expect(encodeSafetensors(handBundle).equals(handVector)).toBe(true);
  });

  it('decodes the hand-built vector, tensors in offset order', () => {
    const decoded = decodeSafetensors(handVector);
    expect(decoded).toEqual(handBundle);
    expect(Object.keys(decoded.tensors)).toEqual(['ids', 's', 'e', 'px']);
  });

  it('writes integer-like names and metadata keys in reference order, not JS object order', () => {
    const bundle: TensorBundle = {
      tensors: { b: tensor('uint8', [1], [7]), '10': tensor('uint8', [1], [8]), '2': tensor('uint8', [1], [9]) },
      metadata: { z: '1', '5': '2' },
    };
    const encoded = encodeSafetensors(bundle);
    const header = encoded
      .subarray(8, 8 + Number(encoded.readBigUInt64LE(0)))
      .toString('utf8')
      .trimEnd();
    expect(header).toBe(
      '{"__metadata__":{"5":"2","z":"1"},' +
        '"10":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},' +
        '"2":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},' +
        '"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}',
    );
    expect([...encoded.subarray(encoded.length - 3)]).toEqual([8, 9, 7]);
  });
});

describe('safetensors round trips', () => {
  const cases: { name: string; t: Tensor }[] = [
    { name: 'float32 matrix', t: tensor('float32', [2, 3], [0, -1.5, 3.25, 3e38, -0, 1e-38]) },
    { name: 'float32 NaN and infinities', t: tensor('float32', [3], [NaN, Infinity, -Infinity]) },
    { name: 'float32 scalar', t: tensor('float32', [], [42]) },
    { name: 'float32 empty', t: tensor('float32', [0, 3]) },
    { name: 'uint8 image', t: tensor('uint8', [2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]) },
    { name: 'uint8 scalar', t: tensor('uint8', [], [200]) },
    { name: 'uint8 empty', t: tensor('uint8', [0]) },
    { name: 'int32 extremes', t: tensor('int32', [4], [-(2 ** 31), -1, 0, 2 ** 31 - 1]) },
    { name: 'int32 scalar', t: tensor('int32', [], [-7]) },
    { name: 'int32 empty', t: tensor('int32', [3, 0]) },
    {
      name: 'int64 beyond 2^53',
      t: tensor('int64', [2, 2], [-(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n + 1n, -(2n ** 62n) - 3n]),
    },
    { name: 'int64 scalar', t: tensor('int64', [], [9007199254740993n]) },
    { name: 'int64 empty', t: tensor('int64', [0, 0]) },
  ];

  it.each(cases)('$name', ({ t }) => {
    const decoded = decodeSafetensors(encodeSafetensors({ tensors: { x: t }, metadata: {} }));
    expect(decoded.tensors['x'].dtype).toBe(t.dtype);
    expect(decoded.tensors['x'].shape).toEqual(t.shape);
    expect(Object.is(decoded.tensors['x'].data[0], t.data[0]) || t.data.length === 0).toBe(true);
    expect(decoded.tensors['x'].data).toEqual(t.data);
    expect(decoded.tensors['x'].data.constructor).toBe(t.data.constructor);
  });

  it('keeps many tensors and metadata, including unicode', () => {
    const bundle: TensorBundle = {
      tensors: Object.fromEntries(cases.map((c, i) => [`t${i}-${c.t.dtype}`, c.t])),
      metadata: { scale: '0.5', größe: '✓ ok', empty: '' },
    };
    expect(decodeSafetensors(encodeSafetensors(bundle))).toEqual(bundle);
  });

  it('encodes typed arrays that are views into a larger buffer', () => {
    const backing = new Float32Array([9, 1, 2, 3, 9]);
    const view = backing.subarray(1, 4);
    const decoded = decodeSafetensors(
      encodeSafetensors({ tensors: { v: tensor('float32', [3], view) }, metadata: {} }),
    );
    expect([...decoded.tensors['v'].data]).toEqual([1, 2, 3]);
  });

  it('decodes from an unaligned slice of a larger buffer into fresh, aligned arrays', () => {
    const encoded = encodeSafetensors({
      tensors: { a: tensor('int64', [2], [1n, -1n]), b: tensor('float32', [1], [2]) },
      metadata: {},
    });
    // Like a kafkajs message value: a Buffer at an odd offset inside a fetch response.
    const fetch = Buffer.alloc(encoded.length + 10, 0xee);
    encoded.copy(fetch, 3);
    const slice = fetch.subarray(3, 3 + encoded.length);
    const decoded = decodeSafetensors(slice);
    const a = decoded.tensors['a'].data as BigInt64Array;
    expect([...a]).toEqual([1n, -1n]);
    expect(a.byteOffset).toBe(0);
    expect(a.buffer).not.toBe(fetch.buffer);
    fetch.fill(0);
    expect([...a]).toEqual([1n, -1n]); // a copy: the fetch buffer may be reused
  });
});

describe('tensor() and elementCount()', () => {
  it.each([
    { shape: [], count: 1 },
    { shape: [0], count: 0 },
    { shape: [3], count: 3 },
    { shape: [2, 3, 4], count: 24 },
    { shape: [5, 0, 7], count: 0 },
    { shape: [2 ** 40, 0, 2 ** 40], count: 0 },
  ])('elementCount($shape) = $count', ({ shape, count }) => {
    expect(elementCount(shape)).toBe(count);
  });

  it.each([
    { shape: [-1], message: 'shape[0] must be a non-negative integer (got -1)' },
    { shape: [2, 1.5], message: 'shape[1] must be a non-negative integer (got 1.5)' },
    { shape: [NaN], message: 'shape[0] must be a non-negative integer (got null)' },
    {
      shape: [2 ** 30, 2 ** 30, 2 ** 30],
      message: 'shape [1073741824,1073741824,1073741824] has more elements than fit in 2^53',
    },
  ])('elementCount($shape) rejects', ({ shape, message }) => {
    expectContractError(() => elementCount(shape), 'MALFORMED_TENSOR', message);
  });

  it('zero-fills without data', () => {
    expect(tensor('int32', [2, 2]).data).toEqual(new Int32Array(4));
  });

  it('copies shape so later mutation of the argument does not leak in', () => {
    const shape = [2];
    const t = tensor('uint8', shape);
    shape[0] = 9;
    expect(t.shape).toEqual([2]);
  });

  it.each<{ name: string; make: () => unknown; code: ContractErrorCode; message: string }>([
    {
      name: 'data shorter than shape',
      make: () => tensor('float32', [2, 2], [1, 2, 3]),
      code: 'SHAPE_MISMATCH',
      message: 'shape [2,2] needs 4 elements but data has 3',
    },
    {
      name: 'typed array longer than shape',
      make: () => tensor('uint8', [1], new Uint8Array(2)),
      code: 'SHAPE_MISMATCH',
      message: 'shape [1] needs 1 elements but data has 2',
    },
    {
      name: 'uint8 out of range',
      make: () => tensor('uint8', [2], [1, 256]),
      code: 'DTYPE_MISMATCH',
      message: 'element 1 (256) is not representable as uint8',
    },
    {
      name: 'int32 fraction',
      make: () => tensor('int32', [1], [0.5]),
      code: 'DTYPE_MISMATCH',
      message: 'element 0 (0.5) is not representable as int32',
    },
    {
      name: 'int64 given numbers',
      make: () => tensor('int64', [1], [1 as unknown as bigint]),
      code: 'DTYPE_MISMATCH',
      message: 'element 0 (1) is not representable as int64',
    },
    {
      name: 'int64 out of range',
      make: () => tensor('int64', [1], [2n ** 63n]),
      code: 'DTYPE_MISMATCH',
      message: 'element 0 (9223372036854775808n) is not representable as int64',
    },
    {
      name: 'wrong typed array',
      make: () => tensor('float32', [1], new Int32Array(1) as unknown as Float32Array),
      code: 'DTYPE_MISMATCH',
      message: 'data for a float32 tensor must be a Float32Array or a plain array',
    },
    {
      name: 'unknown dtype',
      make: () => tensor('float16' as DType, [1]),
      code: 'UNSUPPORTED_DTYPE',
      message: 'dtype "float16" is not one of float32, uint8, int32, int64',
    },
  ])('rejects $name', ({ make, code, message }) => {
    expectContractError(make, code, message);
  });

  it('accepts a Buffer as uint8 data', () => {
    expect(isTensorOf(tensor('uint8', [2], Buffer.from([1, 2])), 'uint8')).toBe(true);
  });

  it.each<[DType, number]>([
    ['float32', 4],
    ['uint8', 1],
    ['int32', 4],
    ['int64', 8],
  ])('dtypeByteSize(%s) = %d', (dtype, size) => {
    expect(dtypeByteSize(dtype)).toBe(size);
  });
});

describe('encodeSafetensors rejects', () => {
  it.each<{ name: string; bundle: unknown; code: ContractErrorCode; message: string }>([
    {
      name: 'a tensor named __metadata__',
      bundle: { tensors: { __metadata__: tensor('uint8', [0]) }, metadata: {} },
      code: 'MALFORMED_TENSOR',
      message: 'tensor "__metadata__": the name is reserved for metadata',
    },
    {
      name: 'data length not matching shape',
      bundle: { tensors: { x: { dtype: 'float32', shape: [3], data: new Float32Array(2) } }, metadata: {} },
      code: 'SHAPE_MISMATCH',
      message: 'tensor "x": shape [3] needs 3 elements but data has 2',
    },
    {
      name: 'data of another dtype',
      bundle: { tensors: { x: { dtype: 'int64', shape: [1], data: new Int32Array(1) } }, metadata: {} },
      code: 'DTYPE_MISMATCH',
      message: 'tensor "x": data for dtype int64 must be a BigInt64Array',
    },
    {
      name: 'an unknown dtype',
      bundle: { tensors: { x: { dtype: 'bool', shape: [1], data: new Uint8Array(1) } }, metadata: {} },
      code: 'UNSUPPORTED_DTYPE',
      message: 'tensor "x": dtype "bool" is not one of float32, uint8, int32, int64',
    },
    {
      name: 'a bad shape',
      bundle: { tensors: { x: { dtype: 'uint8', shape: [-2], data: new Uint8Array(0) } }, metadata: {} },
      code: 'MALFORMED_TENSOR',
      message: 'tensor "x": shape[0] must be a non-negative integer (got -2)',
    },
    {
      name: 'non-string metadata',
      bundle: { tensors: {}, metadata: { scale: 0.5 } },
      code: 'MALFORMED_TENSOR',
      message: 'metadata "scale" must be a string (got 0.5)',
    },
    {
      name: 'a non-bundle',
      bundle: null,
      code: 'MALFORMED_TENSOR',
      message: 'bundle must be { tensors, metadata }',
    },
  ])('$name', ({ bundle, code, message }) => {
    expectContractError(() => encodeSafetensors(bundle as TensorBundle), code, message);
  });
});

describe('decodeSafetensors rejects', () => {
  const f32x2 = '"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}';
  const eightBytes = [0, 0, 128, 63, 0, 0, 0, 64];
  const tooLong = Buffer.alloc(16);
  tooLong.writeBigUInt64LE(100_000_001n);
  const pastEnd = Buffer.alloc(16);
  pastEnd.writeBigUInt64LE(9n);
  const hugeLength = Buffer.alloc(8, 0xff);

  it.each<{ name: string; input: Uint8Array; code: ContractErrorCode; message: string | RegExp }>([
    {
      name: 'fewer than 8 bytes',
      input: Buffer.from([1, 0, 0]),
      code: 'MALFORMED_TENSOR',
      message: 'safetensors payload: 3 bytes is shorter than the 8-byte header length prefix',
    },
    {
      name: 'a header over 100 MB',
      input: tooLong,
      code: 'PAYLOAD_TOO_LARGE',
      message: 'safetensors payload: header length 100000001 exceeds the 100000000-byte limit',
    },
    {
      name: 'a u64 header length near 2^64',
      input: hugeLength,
      code: 'PAYLOAD_TOO_LARGE',
      message: 'safetensors payload: header length 18446744073709551615 exceeds the 100000000-byte limit',
    },
    {
      name: 'a header length beyond the buffer',
      input: pastEnd,
      code: 'MALFORMED_TENSOR',
      message: 'safetensors payload: header length 9 runs past the end of the 16-byte payload',
    },
    {
      name: 'a header that is not UTF-8',
      input: bytes([8, 0, 0, 0, 0, 0, 0, 0], [0x7b, 0xff, 0xfe, 0x7d, 32, 32, 32, 32]),
      code: 'MALFORMED_TENSOR',
      message: 'safetensors payload: header is not valid UTF-8',
    },
    {
      name: 'a header not starting with {',
      input: payload('[1,2]'),
      code: 'MALFORMED_TENSOR',
      message: 'safetensors payload: header must be a JSON object starting with "{" (got "[1,2]   ")',
    },
    {
      name: 'a header that is not JSON',
      input: payload('{"x":'),
      code: 'MALFORMED_TENSOR',
      message: /^safetensors payload: header is not valid JSON: ./,
    },
    {
      name: 'a tensor entry that is not an object',
      input: payload('{"x":3}'),
      code: 'MALFORMED_TENSOR',
      message: 'safetensors payload: tensor "x" must be an object {dtype, shape, data_offsets} (got 3)',
    },
    {
      name: 'a dtype that is not a string',
      input: payload('{"x":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]),
      code: 'MALFORMED_TENSOR',
      message: 'safetensors payload: tensor "x": dtype must be a string (got 4)',
    },
    {
      name: 'a safetensors dtype we do not support',
      input: payload('{"x":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}', [0, 0]),
      code: 'UNSUPPORTED_DTYPE',
      message:
        'safetensors payload: tensor "x": dtype "F16" is a safetensors dtype this codec does not support (supported: F32, U8, I32, I64)',
    },
    {
      name: 'an unknown dtype',
      input: payload('{"x":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]),
      code: 'UNSUPPORTED_DTYPE',
      message: 'safetensors payload: tensor "x": dtype "f32" is not a safetensors dtype (supported: F32, U8, I32, I64)',
    },
    {
      name: 'a negative dimension',
      input: payload('{"x":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}'),
      code: 'MALFORMED_TENSOR',
      message: 'safetensors payload: tensor "x": shape[0] must be a non-negative integer (got -1)',
    },
    {
      name: 'a fractional dimension',
      input: payload('{"x":{"dtype":"U8","shape":[1.5],"data_offsets":[0,0]}}'),
      code: 'MALFORMED_TENSOR',
      message: 'safetensors payload: tensor "x": shape[0] must be a non-negative integer (got 1.5)',
    },
    {
      name: 'a shape that is not an array',
      input: payload('{"x":{"dtype":"U8","shape":"2","data_offsets":[0,2]}}', [1, 2]),
      code: 'MALFORMED_TENSOR',
      message: 'safetensors payload: tensor "x": shape must be an array of dimensions (got "2")',
    },
    {
      name: 'missing data_offsets',
      input: payload('{"x":{"dtype":"U8","shape":[2]}}', [1, 2]),
      code: 'MALFORMED_TENSOR',
      message:
        'safetensors payload: tensor "x": data_offsets must be [begin, end] of non-negative integers (got undefined)',
    },
    {
      name: 'three data_offsets',
      input: payload('{"x":{"dtype":"U8","shape":[2],"data_offsets":[0,2,4]}}', [1, 2]),
      code: 'MALFORMED_TENSOR',
      message:
        'safetensors payload: tensor "x": data_offsets must be [begin, end] of non-negative integers (got [0,2,4])',
    },
    {
      name: 'data_offsets that end before they begin',
      input: payload('{"x":{"dtype":"U8","shape":[0],"data_offsets":[2,0]}}', [1, 2]),
      code: 'MALFORMED_TENSOR',
      message: 'safetensors payload: tensor "x": data_offsets [2,0] end before they begin',
    },
    {
      name: 'data_offsets not matching shape x dtype',
      input: payload('{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0]),
      code: 'SHAPE_MISMATCH',
      message: 'safetensors payload: tensor "x": data_offsets [0,4] hold 4 bytes but shape [2] of F32 needs 8',
    },
    {
      name: 'data_offsets past the data section',
      input: payload(`{${f32x2}}`, [0, 0, 0, 0]),
      code: 'MALFORMED_TENSOR',
      message: 'safetensors payload: tensor "x": data_offsets [0,8] run past the end of the 4-byte data section',
    },
    {
      name: 'overlapping tensors',
      input: payload(`{${f32x2},"y":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}`, eightBytes),
      code: 'MALFORMED_TENSOR',
      message: 'safetensors payload: tensor "y" data_offsets [4,8] overlap tensor "x" [0,8]',
    },
    {
      name: 'a gap between tensors',
      input: payload('{"y":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}', eightBytes),
      code: 'MALFORMED_TENSOR',
      message: 'safetensors payload: gap of 4 bytes before tensor "y" (data_offsets [4,8], previous data ends at 0)',
    },
    {
      name: 'trailing bytes after the last tensor',
      input: payload(`{${f32x2}}`, [...eightBytes, 9, 9]),
      code: 'MALFORMED_TENSOR',
      message: 'safetensors payload: 2 trailing bytes after the last tensor (data ends at 8 of 10)',
    },
    {
      name: 'trailing bytes with no tensors at all',
      input: payload('{}', [1]),
      code: 'MALFORMED_TENSOR',
      message: 'safetensors payload: 1 trailing bytes after the last tensor (data ends at 0 of 1)',
    },
    {
      name: 'non-string metadata values',
      input: payload('{"__metadata__":{"scale":0.5}}'),
      code: 'MALFORMED_TENSOR',
      message: 'safetensors payload: __metadata__["scale"] must be a string (got 0.5)',
    },
    {
      name: 'metadata that is not an object',
      input: payload('{"__metadata__":["a"]}'),
      code: 'MALFORMED_TENSOR',
      message: 'safetensors payload: __metadata__ must be an object of strings (got ["a"])',
    },
    {
      name: 'a shape whose element count overflows',
      input: payload('{"x":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,0]}}'),
      code: 'MALFORMED_TENSOR',
      message: 'safetensors payload: tensor "x": shape [4294967296,4294967296] has more elements than fit in 2^53',
    },
  ])('$name', ({ input, code, message }) => {
    expectContractError(() => decodeSafetensors(input), code, message);
  });

  it('rejects input that is not bytes', () => {
    expectContractError(
      () => decodeSafetensors('abc' as unknown as Uint8Array),
      'MALFORMED_TENSOR',
      'safetensors payload: expected bytes (Buffer or Uint8Array), got string',
    );
  });

  it('accepts what the reference accepts: unpadded header, null metadata, zero-size tensor at a boundary', () => {
    const decoded = decodeSafetensors(
      payload(
        `{"__metadata__":null,${f32x2},"z":{"dtype":"I64","shape":[0,4],"data_offsets":[8,8]}}`,
        eightBytes,
        false,
      ),
    );
    expect(decoded.metadata).toEqual({});
    expect([...(decoded.tensors['x'].data as Float32Array)]).toEqual([1, 2]);
    expect(decoded.tensors['z'].shape).toEqual([0, 4]);
  });

  it('keeps __proto__ as a plain name rather than a prototype', () => {
    const decoded = decodeSafetensors(
      payload('{"__metadata__":{"__proto__":"x"},"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [5]),
    );
    expect(Object.keys(decoded.tensors)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(decoded.tensors)).toBe(Object.prototype);
    expect(decoded.metadata['__proto__']).toBe('x');
  });
});

describe('requireTensor / requireMetadata', () => {
  const bundle: TensorBundle = {
    tensors: { image: tensor('uint8', [1, 3, 32, 64]), boxes: tensor('float32', [2, 4, 2]) },
    metadata: { width: '64' },
  };

  it('returns a typed tensor when name, dtype and shape fit', () => {
    const image = requireTensor(bundle, 'image', 'uint8', [1, 3, null, null]);
    expect(image.data).toBeInstanceOf(Uint8Array);
    expect(requireMetadata(bundle, 'width')).toBe('64');
  });

  it.each<{ name: string; call: () => unknown; code: ContractErrorCode; message: string }>([
    {
      name: 'a missing tensor',
      call: () => requireTensor(bundle, 'crops', 'float32'),
      code: 'MISSING_TENSOR',
      message: 'payload has no tensor "crops" (it has "image", "boxes")',
    },
    {
      name: 'another dtype',
      call: () => requireTensor(bundle, 'image', 'float32'),
      code: 'DTYPE_MISMATCH',
      message: 'tensor "image" is uint8, expected float32',
    },
    {
      name: 'another rank',
      call: () => requireTensor(bundle, 'boxes', 'float32', [null, 4]),
      code: 'SHAPE_MISMATCH',
      message: 'tensor "boxes" has shape [2,4,2], expected [*,4]',
    },
    {
      name: 'another size',
      call: () => requireTensor(bundle, 'image', 'uint8', [1, 1, null, null]),
      code: 'SHAPE_MISMATCH',
      message: 'tensor "image" has shape [1,3,32,64], expected [1,1,*,*]',
    },
    {
      name: 'missing metadata',
      call: () => requireMetadata(bundle, 'height'),
      code: 'MISSING_METADATA',
      message: 'payload metadata has no key "height"',
    },
    {
      name: 'inherited names',
      call: () => requireMetadata(bundle, 'toString'),
      code: 'MISSING_METADATA',
      message: 'payload metadata has no key "toString"',
    },
  ])('rejects $name', ({ call, code, message }) => {
    expectContractError(call, code, message);
  });
});
