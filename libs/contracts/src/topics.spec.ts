import { expectContractError } from './expect-contract-error.test-support';
import { assertValidTopicName, deadLetterTopic, isValidTopicName, prefixedTopic } from './topics';

describe('topics', () => {
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

  it('applies a topic prefix', () => {
    expect(prefixedTopic('run-7_', 'ocr.regions')).toBe('run-7_ocr.regions');
    expectContractError(() => prefixedTopic('a/', 'ocr.requests'), 'INVALID_TOPIC', /"a\/ocr.requests"/);
  });
});
