/**
 * The tensor codec for every hop between stages: the safetensors layout
 * (https://github.com/huggingface/safetensors, format in its README):
 *
 *   [u64 LE header length N][N bytes JSON header, space-padded to 8][data]
 *
 * The header maps each tensor name to {dtype, shape, data_offsets: [begin,end]}
 * (offsets relative to the data section) plus an optional `__metadata__`
 * string->string map. Data is little-endian, C order. The encoder lays tensors
 * out as the reference `safetensors::serialize` does — by descending dtype
 * alignment, then name — so its bytes equal the reference's for the same input
 * (metadata keys, a hash map there, are sorted here). The decoder applies the
 * reference's checks: offsets must tile the data section exactly, each
 * tensor's byte length must match shape x dtype.
 */
import { types } from 'node:util';
import { ContractError, quote } from './errors';

export type DType = 'float32' | 'uint8' | 'int32' | 'int64';

export interface DTypeArrayMap {
  float32: Float32Array;
  uint8: Uint8Array;
  int32: Int32Array;
  int64: BigInt64Array;
}

export type TypedArrayFor<D extends DType> = DTypeArrayMap[D];
/** The JS element type of a dtype, for plain-array input to tensor(). */
export type ElementFor<D extends DType> = D extends 'int64' ? bigint : number;

export interface Tensor<D extends DType = DType> {
  dtype: D;
  shape: number[];
  data: TypedArrayFor<D>;
}

export interface TensorBundle {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

export type SafetensorsDType = 'F32' | 'U8' | 'I32' | 'I64';

interface DTypeInfo {
  name: SafetensorsDType;
  bytes: number;
  /** Position in the reference's `Dtype` enum, which is ordered by alignment. */
  order: number;
  isArray(value: unknown): boolean;
  alloc(length: number): DTypeArrayMap[DType];
}

const DTYPE_INFO: { readonly [D in DType]: DTypeInfo } = {
  uint8: { name: 'U8', bytes: 1, order: 1, isArray: types.isUint8Array, alloc: (n) => new Uint8Array(n) },
  int32: { name: 'I32', bytes: 4, order: 9, isArray: types.isInt32Array, alloc: (n) => new Int32Array(n) },
  float32: { name: 'F32', bytes: 4, order: 11, isArray: types.isFloat32Array, alloc: (n) => new Float32Array(n) },
  int64: { name: 'I64', bytes: 8, order: 13, isArray: types.isBigInt64Array, alloc: (n) => new BigInt64Array(n) },
};

export const DTYPES: readonly DType[] = ['float32', 'uint8', 'int32', 'int64'];

const DTYPE_BY_SAFETENSORS_NAME: Readonly<Record<string, DType>> = Object.fromEntries(
  DTYPES.map((d) => [DTYPE_INFO[d].name, d]),
);

/** Dtypes the format defines that this codec deliberately leaves out (no stage needs them). */
const OTHER_SAFETENSORS_DTYPES = new Set([
  'BOOL',
  'I8',
  'I16',
  'U16',
  'U32',
  'U64',
  'F16',
  'BF16',
  'F64',
  'C64',
  'F8_E5M2',
  'F8_E4M3',
  'F8_E8M0',
  'F6_E2M3',
  'F6_E3M2',
  'F4',
]);

/** Same limit as the reference implementation (MAX_HEADER_SIZE). */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.hasOwn(DTYPE_INFO, value);
}

export function dtypeByteSize(dtype: DType): number {
  return DTYPE_INFO[dtype].bytes;
}

export function safetensorsDTypeName(dtype: DType): SafetensorsDType {
  return DTYPE_INFO[dtype].name;
}

/** Why `shape` is not a valid shape, or undefined when it is. */
export function shapeProblem(shape: unknown): string | undefined {
  if (!Array.isArray(shape)) return `shape must be an array of dimensions (got ${quote(shape)})`;
  for (let i = 0; i < shape.length; i++) {
    const dim: unknown = shape[i];
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
      return `shape[${i}] must be a non-negative integer (got ${quote(dim)})`;
    }
  }
  return undefined;
}

/** Number of elements of a tensor of `shape`: the product of its dimensions, 1 for a scalar (shape []). */
export function elementCount(shape: readonly number[]): number {
  const problem = shapeProblem(shape);
  if (problem !== undefined) throw new ContractError('MALFORMED_TENSOR', problem);
  if (shape.includes(0)) return 0;
  let count = 1;
  for (const dim of shape) {
    count *= dim;
    if (!Number.isSafeInteger(count)) {
      throw new ContractError('MALFORMED_TENSOR', `shape ${formatShape(shape)} has more elements than fit in 2^53`);
    }
  }
  return count;
}

function formatShape(shape: readonly unknown[]): string {
  return `[${shape.join(',')}]`;
}

function checkElements<D extends DType>(dtype: D, values: readonly unknown[]): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let ok: boolean;
    switch (dtype) {
      case 'float32':
        ok = typeof v === 'number';
        break;
      case 'uint8':
        ok = typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xff;
        break;
      case 'int32':
        ok = typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31;
        break;
      default:
        ok = typeof v === 'bigint' && v >= -(2n ** 63n) && v < 2n ** 63n;
    }
    if (!ok) throw new ContractError('DTYPE_MISMATCH', `element ${i} (${quote(v)}) is not representable as ${dtype}`);
  }
}

/**
 * A tensor whose data length is checked against its shape. Without `data`
 * it is zero-filled; a plain array is range-checked and copied (no silent
 * wrap-around of 256 to 0); a typed array of the dtype's kind is used as is.
 */
export function tensor<D extends DType>(
  dtype: D,
  shape: readonly number[],
  data?: TypedArrayFor<D> | readonly ElementFor<D>[],
): Tensor<D> {
  if (!isDType(dtype)) {
    throw new ContractError('UNSUPPORTED_DTYPE', `dtype ${quote(dtype)} is not one of ${DTYPES.join(', ')}`);
  }
  const count = elementCount(shape);
  const info = DTYPE_INFO[dtype];
  let array: TypedArrayFor<D>;
  if (data === undefined) {
    array = info.alloc(count) as TypedArrayFor<D>;
  } else if (Array.isArray(data)) {
    checkElements(dtype, data);
    array = info.alloc(data.length) as TypedArrayFor<D>;
    // The element types were just checked to suit this dtype's array.
    (array as unknown as { set(values: readonly unknown[]): void }).set(data);
  } else if (info.isArray(data)) {
    array = data as TypedArrayFor<D>;
  } else {
    throw new ContractError(
      'DTYPE_MISMATCH',
      `data for a ${dtype} tensor must be a ${arrayName(dtype)} or a plain array`,
    );
  }
  if (array.length !== count) {
    throw new ContractError(
      'SHAPE_MISMATCH',
      `shape ${formatShape(shape)} needs ${count} elements but data has ${array.length}`,
    );
  }
  return { dtype, shape: [...shape], data: array };
}

function arrayName(dtype: DType): string {
  return { float32: 'Float32Array', uint8: 'Uint8Array', int32: 'Int32Array', int64: 'BigInt64Array' }[dtype];
}

export function isTensorOf<D extends DType>(t: Tensor, dtype: D): t is Tensor<D> {
  return t.dtype === dtype && DTYPE_INFO[dtype].isArray(t.data);
}

/**
 * The tensor `name` of `bundle`, checked to have `dtype` and, if given, a
 * shape matching `expectedShape` (null = any size in that dimension).
 */
export function requireTensor<D extends DType>(
  bundle: TensorBundle,
  name: string,
  dtype: D,
  expectedShape?: readonly (number | null)[],
): Tensor<D> {
  if (!Object.hasOwn(bundle.tensors, name)) {
    const names = Object.keys(bundle.tensors);
    throw new ContractError(
      'MISSING_TENSOR',
      `payload has no tensor ${quote(name)} (it has ${names.length ? names.map((n) => quote(n)).join(', ') : 'none'})`,
    );
  }
  const t = bundle.tensors[name];
  if (!isTensorOf(t, dtype)) {
    throw new ContractError('DTYPE_MISMATCH', `tensor ${quote(name)} is ${t.dtype}, expected ${dtype}`);
  }
  if (expectedShape !== undefined) {
    const fits =
      t.shape.length === expectedShape.length && expectedShape.every((dim, i) => dim === null || dim === t.shape[i]);
    if (!fits) {
      throw new ContractError(
        'SHAPE_MISMATCH',
        `tensor ${quote(name)} has shape ${formatShape(t.shape)}, expected ${formatShape(expectedShape.map((d) => d ?? '*'))}`,
      );
    }
  }
  return t;
}

/** Metadata entry `key` of `bundle`, which must be present. */
export function requireMetadata(bundle: TensorBundle, key: string): string {
  if (!Object.hasOwn(bundle.metadata, key)) {
    throw new ContractError('MISSING_METADATA', `payload metadata has no key ${quote(key)}`);
  }
  return bundle.metadata[key];
}

// ---- encode -----------------------------------------------------------------

function compareUtf8(a: string, b: string): number {
  // The reference sorts Rust Strings, i.e. by UTF-8 bytes; JS `<` compares UTF-16 units.
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function checkTensorForEncode(name: string, t: unknown): Tensor {
  const where = `tensor ${quote(name)}`;
  if (name === METADATA_KEY) throw new ContractError('MALFORMED_TENSOR', `${where}: the name is reserved for metadata`);
  if (typeof t !== 'object' || t === null)
    throw new ContractError('MALFORMED_TENSOR', `${where} is not a tensor object`);
  const { dtype, shape, data } = t as Partial<Tensor>;
  if (!isDType(dtype)) {
    throw new ContractError('UNSUPPORTED_DTYPE', `${where}: dtype ${quote(dtype)} is not one of ${DTYPES.join(', ')}`);
  }
  const problem = shapeProblem(shape);
  if (problem !== undefined) throw new ContractError('MALFORMED_TENSOR', `${where}: ${problem}`);
  if (!DTYPE_INFO[dtype].isArray(data)) {
    throw new ContractError('DTYPE_MISMATCH', `${where}: data for dtype ${dtype} must be a ${arrayName(dtype)}`);
  }
  const count = elementCount(shape as number[]);
  const length = (data as TypedArrayFor<DType>).length;
  if (length !== count) {
    throw new ContractError(
      'SHAPE_MISMATCH',
      `${where}: shape ${formatShape(shape as number[])} needs ${count} elements but data has ${length}`,
    );
  }
  return t as Tensor;
}

function checkMetadataForEncode(metadata: unknown): [string, string][] {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new ContractError(
      'MALFORMED_TENSOR',
      `bundle metadata must be an object of strings (got ${quote(metadata)})`,
    );
  }
  const entries = Object.entries(metadata);
  for (const [key, value] of entries) {
    if (typeof value !== 'string') {
      throw new ContractError('MALFORMED_TENSOR', `metadata ${quote(key)} must be a string (got ${quote(value)})`);
    }
  }
  return (entries as [string, string][]).sort(([a], [b]) => compareUtf8(a, b));
}

function writeData(out: Buffer, position: number, data: TypedArrayFor<DType>, bytes: number): void {
  if (HOST_IS_LITTLE_ENDIAN || bytes === 1) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), position);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + position, data.length * bytes);
  for (let i = 0; i < data.length; i++) {
    if (types.isBigInt64Array(data)) view.setBigInt64(i * 8, data[i], true);
    else if (types.isInt32Array(data)) view.setInt32(i * 4, data[i], true);
    else view.setFloat32(i * 4, (data as Float32Array)[i], true);
  }
}

/** Serialises `bundle` to safetensors bytes (see the module comment for the layout). */
export function encodeSafetensors(bundle: TensorBundle): Buffer {
  if (typeof bundle !== 'object' || bundle === null || typeof bundle.tensors !== 'object' || bundle.tensors === null) {
    throw new ContractError('MALFORMED_TENSOR', 'bundle must be { tensors, metadata }');
  }
  const metadata = checkMetadataForEncode(bundle.metadata ?? {});
  const tensors = Object.entries(bundle.tensors)
    .map(([name, t]) => [name, checkTensorForEncode(name, t)] as const)
    .sort(([an, at], [bn, bt]) => DTYPE_INFO[bt.dtype].order - DTYPE_INFO[at.dtype].order || compareUtf8(an, bn));

  // Built by hand rather than JSON.stringify(object): JS objects move
  // integer-like keys ("0", "12") to the front, which would break the
  // reference's key order.
  const parts: string[] = [];
  if (metadata.length > 0) {
    parts.push(
      `${JSON.stringify(METADATA_KEY)}:{${metadata.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`,
    );
  }
  let offset = 0;
  for (const [name, t] of tensors) {
    const size = t.data.length * DTYPE_INFO[t.dtype].bytes;
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${DTYPE_INFO[t.dtype].name}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + size}]}`,
    );
    offset += size;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const headerLength = json.length + ((8 - (json.length % 8)) % 8);
  if (headerLength > MAX_SAFETENSORS_HEADER_BYTES) {
    throw new ContractError(
      'PAYLOAD_TOO_LARGE',
      `safetensors header would be ${headerLength} bytes, over the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit`,
    );
  }

  const out = Buffer.alloc(8 + headerLength + offset);
  out.writeBigUInt64LE(BigInt(headerLength), 0);
  json.copy(out, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let position = 8 + headerLength;
  for (const [, t] of tensors) {
    const bytes = DTYPE_INFO[t.dtype].bytes;
    writeData(out, position, t.data, bytes);
    position += t.data.length * bytes;
  }
  return out;
}

// ---- decode -----------------------------------------------------------------

function malformed(message: string): ContractError {
  return new ContractError('MALFORMED_TENSOR', `safetensors payload: ${message}`);
}

interface HeaderEntry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

function parseEntry(name: string, info: unknown, dataLength: number): HeaderEntry {
  const where = `tensor ${quote(name)}`;
  if (typeof info !== 'object' || info === null || Array.isArray(info)) {
    throw malformed(`${where} must be an object {dtype, shape, data_offsets} (got ${quote(info)})`);
  }
  const { dtype: st, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (typeof st !== 'string') throw malformed(`${where}: dtype must be a string (got ${quote(st)})`);
  if (!Object.hasOwn(DTYPE_BY_SAFETENSORS_NAME, st)) {
    const supported = DTYPES.map((d) => DTYPE_INFO[d].name).join(', ');
    const known = OTHER_SAFETENSORS_DTYPES.has(st)
      ? 'a safetensors dtype this codec does not support'
      : 'not a safetensors dtype';
    throw new ContractError(
      'UNSUPPORTED_DTYPE',
      `safetensors payload: ${where}: dtype ${quote(st)} is ${known} (supported: ${supported})`,
    );
  }
  const dtype = DTYPE_BY_SAFETENSORS_NAME[st];
  const problem = shapeProblem(shape);
  if (problem !== undefined) throw malformed(`${where}: ${problem}`);
  const dims = shape as number[];
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o: unknown) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)
  ) {
    throw malformed(`${where}: data_offsets must be [begin, end] of non-negative integers (got ${quote(offsets)})`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw malformed(`${where}: data_offsets [${begin},${end}] end before they begin`);
  let needed: number;
  try {
    needed = elementCount(dims) * DTYPE_INFO[dtype].bytes;
  } catch (error) {
    throw malformed(`${where}: ${(error as Error).message}`);
  }
  if (end - begin !== needed) {
    throw new ContractError(
      'SHAPE_MISMATCH',
      `safetensors payload: ${where}: data_offsets [${begin},${end}] hold ${end - begin} bytes but shape ${formatShape(dims)} of ${st} needs ${needed}`,
    );
  }
  if (end > dataLength) {
    throw malformed(`${where}: data_offsets [${begin},${end}] run past the end of the ${dataLength}-byte data section`);
  }
  return { name, dtype, shape: dims, begin, end };
}

function readData(bytes: Uint8Array, dtype: DType, count: number): TypedArrayFor<DType> {
  const info = DTYPE_INFO[dtype];
  // Always a copy into a fresh ArrayBuffer: kafkajs hands out slices of the
  // whole fetch response (offset arbitrary, so typed views could misalign,
  // and keeping one would pin the fetch buffer).
  const out = info.alloc(count);
  if (HOST_IS_LITTLE_ENDIAN || info.bytes === 1) {
    new Uint8Array(out.buffer, 0, out.byteLength).set(bytes);
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) {
    if (types.isBigInt64Array(out)) out[i] = view.getBigInt64(i * 8, true);
    else if (types.isInt32Array(out)) out[i] = view.getInt32(i * 4, true);
    else (out as Float32Array)[i] = view.getFloat32(i * 4, true);
  }
  return out;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses safetensors bytes into tensors that own their (aligned, copied)
 * data. Every violation throws a ContractError saying what and where:
 * MALFORMED_TENSOR for layout, UNSUPPORTED_DTYPE, SHAPE_MISMATCH when a
 * tensor's bytes disagree with shape x dtype, PAYLOAD_TOO_LARGE for a header
 * over 100 MB.
 */
export function decodeSafetensors(buf: Uint8Array): TensorBundle {
  if (!types.isUint8Array(buf)) throw malformed(`expected bytes (Buffer or Uint8Array), got ${typeof buf}`);
  if (buf.length < 8) throw malformed(`${buf.length} bytes is shorter than the 8-byte header length prefix`);
  const headerLength64 = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getBigUint64(0, true);
  if (headerLength64 > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
    throw new ContractError(
      'PAYLOAD_TOO_LARGE',
      `safetensors payload: header length ${headerLength64} exceeds the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit`,
    );
  }
  const headerLength = Number(headerLength64);
  if (8 + headerLength > buf.length) {
    throw malformed(`header length ${headerLength} runs past the end of the ${buf.length}-byte payload`);
  }
  let text: string;
  try {
    text = UTF8.decode(buf.subarray(8, 8 + headerLength));
  } catch {
    throw malformed('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw malformed(`header must be a JSON object starting with "{" (got ${quote(text, 40)})`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    throw malformed(`header is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw malformed('header must be a JSON object');
  }

  const dataStart = 8 + headerLength;
  const dataLength = buf.length - dataStart;
  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [key, value] of Object.entries(header)) {
    if (key === METADATA_KEY) metadata = parseMetadata(value);
    else entries.push(parseEntry(key, value, dataLength));
  }

  // Like the reference: sorted by offsets, the tensors must tile the data
  // section exactly — no overlap, no gap, nothing after the last one.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let previous: HeaderEntry | undefined;
  for (const entry of entries) {
    if (entry.begin < expected) {
      throw malformed(
        `tensor ${quote(entry.name)} data_offsets [${entry.begin},${entry.end}] overlap tensor ${quote(previous?.name)} [${previous?.begin},${previous?.end}]`,
      );
    }
    if (entry.begin > expected) {
      throw malformed(
        `gap of ${entry.begin - expected} bytes before tensor ${quote(entry.name)} (data_offsets [${entry.begin},${entry.end}], previous data ends at ${expected})`,
      );
    }
    expected = entry.end;
    previous = entry;
  }
  if (expected !== dataLength) {
    throw malformed(
      `${dataLength - expected} trailing bytes after the last tensor (data ends at ${expected} of ${dataLength})`,
    );
  }

  const tensors = Object.fromEntries(
    entries.map((e) => {
      const bytes = buf.subarray(dataStart + e.begin, dataStart + e.end);
      const count = (e.end - e.begin) / DTYPE_INFO[e.dtype].bytes;
      return [e.name, { dtype: e.dtype, shape: e.shape, data: readData(bytes, e.dtype, count) } as Tensor];
    }),
  );
  return { tensors, metadata };
}

function parseMetadata(value: unknown): Record<string, string> {
  // The reference models __metadata__ as Option<HashMap<String,String>>: null means none.
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw malformed(`${METADATA_KEY} must be an object of strings (got ${quote(value)})`);
  }
  const entries = Object.entries(value);
  for (const [key, v] of entries) {
    if (typeof v !== 'string') throw malformed(`${METADATA_KEY}[${quote(key)}] must be a string (got ${quote(v)})`);
  }
  return Object.fromEntries(entries);
}
