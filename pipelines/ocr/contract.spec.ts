import { announcedRedisKey, ContractError, resultRedisKey, resultRedisKeys, type ContractErrorCode } from '@conveyor/contracts';
import { decodeOcrResult, encodeOcrResult, failedResult, okResult, parseOcrResult, type OcrResult } from './contract';

/** Asserts that `fn` throws a ContractError with exactly `code` and `message` (or a message matching it). */
function expectContractError(fn: () => unknown, code: ContractErrorCode, message: string | RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ContractError);
  expect({ code: (thrown as ContractError).code, message: (thrown as ContractError).message }).toEqual({
    code,
    message: typeof message === 'string' ? message : expect.stringMatching(message),
  });
}

const box: [number, number][] = [
  [10, 20],
  [110, 20],
  [110, 44],
  [10, 44],
];

const ok: OcrResult = {
  schema: 'conveyor.ocr.result.v1',
  id: 'req-1',
  status: 'ok',
  lines: [{ text: 'Hello world', confidence: 0.98, box: box as OcrResult['lines'][number]['box'] }],
  timings: { preprocess: 12, features: 40.5, inference: 30, postprocess: 1 },
  completedAt: '2026-05-01T12:30:00.000Z',
};

const failed: OcrResult = {
  schema: 'conveyor.ocr.result.v1',
  id: 'req-2',
  status: 'failed',
  lines: [],
  error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'payload is application/pdf', stage: 'preprocess' },
  timings: {},
  completedAt: '2026-05-01T12:30:00+02:00',
};

describe('OcrResult schema', () => {
  it.each([
    ['an ok result', ok],
    ['a failed result', failed],
    ['an ok result with no lines', { ...ok, lines: [] }],
    [
      'confidence at the bounds',
      {
        ...ok,
        lines: [
          { ...ok.lines[0], confidence: 0 },
          { ...ok.lines[0], confidence: 1 },
        ],
      },
    ],
  ])('accepts %s', (_name, result) => {
    expect(parseOcrResult(result)).toEqual(result);
  });

  it('drops unknown fields (v1 readers ignore additions)', () => {
    expect(parseOcrResult({ ...ok, extra: 1 })).toEqual(ok);
  });

  const e = 'invalid OCR result: ';
  it.each<[string, unknown, string]>([
    ['not an object', 'ok', `${e}(root): Invalid input: expected object, received string`],
    [
      'another schema version',
      { ...ok, schema: 'conveyor.ocr.result.v2' },
      `${e}schema: Invalid input: expected "conveyor.ocr.result.v1"`,
    ],
    [
      'an unknown status',
      { ...ok, status: 'done' },
      `${e}status: Invalid discriminator value. Expected 'ok' | 'failed'`,
    ],
    ['an empty id', { ...ok, id: '' }, `${e}id: must be 1-256 visible ASCII characters`],
    [
      'a confidence above 1',
      { ...ok, lines: [{ ...ok.lines[0], confidence: 1.2 }] },
      `${e}lines[0].confidence: Too big: expected number to be <=1`,
    ],
    [
      'a negative confidence',
      { ...ok, lines: [{ ...ok.lines[0], confidence: -0.1 }] },
      `${e}lines[0].confidence: Too small: expected number to be >=0`,
    ],
    [
      'a box with 3 corners',
      { ...ok, lines: [{ ...ok.lines[0], box: box.slice(0, 3) }] },
      `${e}lines[0].box: Too small: expected array to have >=4 items`,
    ],
    [
      'a corner that is not a pair',
      { ...ok, lines: [{ ...ok.lines[0], box: [[1], ...box.slice(1)] }] },
      `${e}lines[0].box[0]: Too small: expected array to have >=2 items`,
    ],
    [
      'a text that is not a string',
      { ...ok, lines: [{ ...ok.lines[0], text: 5 }] },
      `${e}lines[0].text: Invalid input: expected string, received number`,
    ],
    [
      'a negative timing',
      { ...ok, timings: { preprocess: -1 } },
      `${e}timings.preprocess: Too small: expected number to be >=0`,
    ],
    ['a completedAt that is not ISO', { ...ok, completedAt: 'May 1st' }, `${e}completedAt: Invalid ISO datetime`],
    [
      'an ok result with an error',
      { ...ok, error: failed.error },
      `${e}error: Invalid input: expected undefined, received object`,
    ],
    [
      'a failed result without error',
      { ...failed, error: undefined },
      `${e}error: Invalid input: expected object, received undefined`,
    ],
    [
      'several problems at once',
      { ...ok, id: '', timings: { a: -1 } },
      `${e}id: must be 1-256 visible ASCII characters; timings.a: Too small: expected number to be >=0`,
    ],
  ])('rejects %s', (_name, value, message) => {
    expectContractError(() => parseOcrResult(value), 'INVALID_RESULT', message);
  });
});

describe('result helpers', () => {
  it('encodes and decodes through JSON text and bytes', () => {
    const text = encodeOcrResult(ok);
    expect(decodeOcrResult(text)).toEqual(ok);
    expect(decodeOcrResult(Buffer.from(text))).toEqual(ok);
  });

  it('names JSON that does not parse', () => {
    expectContractError(() => decodeOcrResult('{'), 'INVALID_RESULT', /^invalid OCR result: not JSON \(/);
  });

  it('refuses to encode an invalid result', () => {
    expectContractError(() => encodeOcrResult({ ...ok, id: 'a b' }), 'INVALID_RESULT', /^invalid OCR result: id: /);
  });

  it('keys results in Redis by request id', () => {
    expect(resultRedisKey('req-1')).toBe('conveyor:result:req-1');
    expectContractError(
      () => resultRedisKey('a b'),
      'INVALID_REQUEST_ID',
      'request id must be visible ASCII without spaces (character 1 is not) (got "a b")',
    );
    expect(announcedRedisKey('req-1')).toBe('conveyor:announced:req-1');
    expect(resultRedisKeys('req-1')).toEqual(['conveyor:result:req-1', 'conveyor:announced:req-1']);
    expect(resultRedisKeys('req-1', 'conveyor:redact:result:')).toEqual(['conveyor:redact:result:req-1', 'conveyor:announced:conveyor:redact:result:req-1']);
    expectContractError(() => announcedRedisKey('a b'), 'INVALID_REQUEST_ID', /^request id must be visible ASCII/);
  });

  it('builds a failed result for a dead-lettered request', () => {
    const now = new Date(Date.UTC(2026, 4, 1, 12));
    expect(failedResult('req-2', failed.error!, { preprocess: 3 }, now)).toEqual({
      schema: 'conveyor.ocr.result.v1',
      id: 'req-2',
      status: 'failed',
      lines: [],
      error: failed.error,
      timings: { preprocess: 3 },
      completedAt: '2026-05-01T12:00:00.000Z',
    });
  });

  it('builds an ok result, validating it', () => {
    const now = new Date(Date.UTC(2026, 4, 1, 12, 30));
    expect(okResult('req-1', ok.lines, ok.timings, now)).toEqual(ok);
    expectContractError(
      () => okResult('req-1', [{ ...ok.lines[0], confidence: 2 }], {}),
      'INVALID_RESULT',
      /confidence/,
    );
  });
});
