import { expectContractError } from './expect-contract-error.test-support';
import { assertValidTopicName, deadLetterTopic, isOcrStageName, isValidTopicName, OCR_STAGE_NAMES, OcrStageInputs, ocrTopics, OcrTopics, prefixedTopic } from './topics';

describe('topics', () => {
  it('names the pipeline topics of DESIGN.md', () => {
    expect(Object.values(OcrTopics)).toEqual([
      'ocr.requests',
      'ocr.preprocessed',
      'ocr.regions',
      'ocr.recognized',
      'ocr.results',
    ]);
  });

  it.each([
    ['ocr.requests', true],
    ['a', true],
    ['A-b_c.9', true],
    ['x'.repeat(249), true],
    ['x'.repeat(250), false],
    ['', false],
    ['.', false],
    ['..', false],
    ['...', true],
    ['ocr requests', false],
    ['ocr/requests', false],
    ['ocr:requests', false],
    ['ocré', false],
  ])('isValidTopicName(%j) = %s', (name, expected) => {
    expect(isValidTopicName(name)).toBe(expected);
  });

  it.each([
    ['', 'invalid Kafka topic name "": it is empty'],
    [
      'x'.repeat(250),
      `invalid Kafka topic name "${'x'.repeat(79)}…(252 chars): it is 250 chars long, over Kafka's limit of 249`,
    ],
    ['..', 'invalid Kafka topic name "..": Kafka reserves "." and ".."'],
    ['a b', 'invalid Kafka topic name "a b": it may contain only ASCII letters, digits, ".", "_" and "-"'],
  ])('assertValidTopicName(%j) explains', (name, message) => {
    expectContractError(() => assertValidTopicName(name), 'INVALID_TOPIC', message);
  });

  it.each([
    ['ocr.requests', 'ocr.requests.dlq'],
    ['ocr.regions', 'ocr.regions.dlq'],
    ['t1.ocr.results', 't1.ocr.results.dlq'],
  ])('deadLetterTopic(%j) = %j', (topic, expected) => {
    expect(deadLetterTopic(topic)).toBe(expected);
  });

  it('refuses a dead-letter topic that would be too long or is built from garbage', () => {
    expectContractError(() => deadLetterTopic('x'.repeat(246)), 'INVALID_TOPIC', /it is 250 chars long/);
    expectContractError(() => deadLetterTopic('bad topic'), 'INVALID_TOPIC', /"bad topic"/);
  });

  it('applies a topic prefix to every topic', () => {
    expect(ocrTopics()).toEqual(OcrTopics);
    expect(ocrTopics('t42.')).toEqual({
      requests: 't42.ocr.requests',
      preprocessed: 't42.ocr.preprocessed',
      regions: 't42.ocr.regions',
      recognized: 't42.ocr.recognized',
      results: 't42.ocr.results',
    });
    expect(prefixedTopic('run-7_', OcrTopics.regions)).toBe('run-7_ocr.regions');
    expectContractError(() => ocrTopics('a/'), 'INVALID_TOPIC', /"a\/ocr.requests"/);
  });
});

describe('OCR stages', () => {
  it('lists the stages in pipeline order, each consuming the previous stage output', () => {
    expect(OCR_STAGE_NAMES).toEqual(['preprocess', 'features', 'inference', 'postprocess']);
    expect(OCR_STAGE_NAMES.map((stage) => OcrStageInputs[stage])).toEqual([
      'ocr.requests',
      'ocr.preprocessed',
      'ocr.regions',
      'ocr.recognized',
    ]);
  });

  it.each([
    ['features', true],
    ['postprocess', true],
    ['cli', false],
    ['toString', false],
  ])('isOcrStageName(%s) → %s', (name, expected) => {
    expect(isOcrStageName(name)).toBe(expected);
  });
});
