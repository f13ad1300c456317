import { ContractError } from './errors';
import {
  canonicalJson,
  configHash,
  formatVersions,
  hashPrefix,
  parseVersions,
  parseVersionsLeniently,
  VERSIONS_HEADER,
  VersionLimits,
  withVersion,
  type StageVersion,
} from './versions';

const SHA_A = 'a'.repeat(64);
const entry = (stage: string, models: StageVersion['models'] = []): StageVersion => ({ stage, version: '0.1.0', configHash: '0123456789abcdef', models });

describe('canonicalJson and configHash', () => {
  it.each([
    ['key order', { b: 1, a: 2 }, { a: 2, b: 1 }],
    ['nested key order', { x: { d: [1, 2], c: 'z' }, y: true }, { y: true, x: { c: 'z', d: [1, 2] } }],
    ['undefined members', { a: 1, b: undefined }, { a: 1 }],
  ])('is the same whatever the %s', (_name, left, right) => {
    expect(canonicalJson(left)).toBe(canonicalJson(right));
    expect(configHash(left)).toBe(configHash(right));
  });

  it.each([
    ['a value', { MAX_IN_FLIGHT: 2 }, { MAX_IN_FLIGHT: 3 }],
    ['a type', { MAX_IN_FLIGHT: 2 }, { MAX_IN_FLIGHT: '2' }],
    ['array order', { ORT: ['cuda', 'cpu'] }, { ORT: ['cpu', 'cuda'] }],
    ['a key', { A: 1 }, { B: 1 }],
  ])('differs when %s differs', (_name, left, right) => {
    expect(configHash(left)).not.toBe(configHash(right));
  });

  it('is a stable SHA-256 hex of the sorted JSON', () => {
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: 'x' })).toBe('{"a":"x","b":[1,{"c":2,"d":1}]}');
    // sha256('{"a":1}'), so a change of the encoding shows up here.
    expect(configHash({ a: 1 })).toBe('015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862');
    expect(hashPrefix(configHash({ a: 1 }))).toBe('015abd7f5cc5');
  });
});

describe(`the ${VERSIONS_HEADER} header`, () => {
  it.each<[string, StageVersion[], StageVersion, StageVersion[]]>([
    ['appends to an empty list, shortening hashes', [], entry('pre'), [{ ...entry('pre'), configHash: '0123456789ab' }]],
    [
      'appends in pipeline order',
      [{ ...entry('pre'), configHash: '0123456789ab' }],
      entry('feat', [{ name: 'det.onnx', sha256: SHA_A }]),
      [
        { ...entry('pre'), configHash: '0123456789ab' },
        { ...entry('feat'), configHash: '0123456789ab', models: [{ name: 'det.onnx', sha256: 'aaaaaaaaaaaa' }] },
      ],
    ],
    [
      'replaces a stage seen again in place',
      [{ ...entry('pre'), configHash: '0123456789ab' }, { ...entry('feat'), configHash: '0123456789ab' }],
      { ...entry('pre'), version: '0.2.0' },
      [{ ...entry('pre'), version: '0.2.0', configHash: '0123456789ab' }, { ...entry('feat'), configHash: '0123456789ab' }],
    ],
  ])('%s', (_name, before, own, expected) => {
    const after = withVersion(before, own);
    expect(after).toEqual(expected);
    expect(parseVersions({ [VERSIONS_HEADER]: Buffer.from(formatVersions(after)) })).toEqual(expected);
  });

  it('reads an absent header as no versions', () => {
    expect(parseVersions({})).toEqual([]);
    expect(parseVersions(undefined)).toEqual([]);
  });

  it.each([
    ['not JSON', '{nope', /not valid JSON/],
    ['not an array', '{"stage":"a"}', /invalid at \(root\)/],
    ['a bad stage name', JSON.stringify([{ ...entry('has space'), configHash: '0123456789ab' }]), /invalid at 0\.stage/],
    ['a hash that is not hex', JSON.stringify([{ ...entry('a'), configHash: 'XYZ' }]), /invalid at 0\.configHash/],
    ['a missing field', JSON.stringify([{ stage: 'a', version: '1', models: [] }]), /invalid at 0\.configHash/],
    ['too many stages', JSON.stringify(Array.from({ length: VersionLimits.maxStages + 1 }, (_, i) => ({ ...entry(`s${i}`), configHash: '0123456789ab' }))), /invalid at \(root\)/],
    ['too many bytes', JSON.stringify([{ ...entry('a'), version: 'v'.repeat(VersionLimits.maxHeaderBytes) }]), /over the limit of 4096/],
  ])('refuses %s as INVALID_HEADER (leniently: none)', (_name, raw, message) => {
    const headers = { [VERSIONS_HEADER]: Buffer.from(raw) };
    let error: unknown;
    try {
      parseVersions(headers);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ContractError);
    expect((error as ContractError).code).toBe('INVALID_HEADER');
    expect((error as Error).message).toMatch(message);
    expect(parseVersionsLeniently(headers)).toEqual([]);
  });

  it('stays small for the OCR pipeline: four stages, three models', () => {
    const versions = [entry('preprocess'), entry('features', [{ name: 'ch_PP-OCRv4_det_infer.onnx', sha256: SHA_A }, { name: 'ch_ppocr_mobile_v2.0_cls_infer.onnx', sha256: SHA_A }]), entry('inference', [{ name: 'ch_PP-OCRv4_rec_infer.onnx', sha256: SHA_A }]), entry('postprocess')].reduce<StageVersion[]>((list, e) => withVersion(list, e), []);
    expect(Buffer.byteLength(formatVersions(versions))).toBeLessThan(600);
  });
});
