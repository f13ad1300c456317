import { KafkaJSConnectionError, KafkaJSError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { commitErrorAction, kafkaErrorType, signalsRebalance } from './kafka-errors';

/** A broker answer as kafkajs raises it (protocol/error.js fields). */
function protocolError(type: string, retriable: boolean): KafkaJSProtocolError {
  return new KafkaJSProtocolError(Object.assign(new Error(type), { type, code: 0, retriable }));
}

describe('kafka error classification', () => {
  it('finds the broker error type, also under kafkajs retry wrappers', () => {
    const inner = protocolError('REBALANCE_IN_PROGRESS', false);
    expect(kafkaErrorType(inner)).toBe('REBALANCE_IN_PROGRESS');
    // How kafkajs' retrier wraps the last error (retry/index.js).
    expect(kafkaErrorType(new KafkaJSNumberOfRetriesExceeded(inner, { retryCount: 5, retryTime: 1000 }))).toBe('REBALANCE_IN_PROGRESS');
    // How kafkajs' retrier wraps a non-retriable one: new KafkaJSNonRetriableError(e, { cause }) (2.2.4 JS; its typings omit the option).
    const nonRetriable = Object.assign(new KafkaJSNonRetriableError('wrapper'), { cause: inner });
    expect(kafkaErrorType(nonRetriable)).toBe('REBALANCE_IN_PROGRESS');
    expect(kafkaErrorType(new Error('plain'))).toBeUndefined();
    expect(kafkaErrorType('a string')).toBeUndefined();
  });

  it.each([
    ['REBALANCE_IN_PROGRESS', true],
    ['ILLEGAL_GENERATION', true],
    ['UNKNOWN_MEMBER_ID', true],
    ['FENCED_INSTANCE_ID', true],
    // The coordinator moved: kafkajs carries on without rejoining, so it is no rebalance.
    ['NOT_COORDINATOR_FOR_GROUP', false],
    ['GROUP_COORDINATOR_NOT_AVAILABLE', false],
    ['REQUEST_TIMED_OUT', false],
  ])('heartbeat answer %s signals a rebalance: %s', (type, expected) => {
    expect(signalsRebalance(protocolError(type, false))).toBe(expected);
  });

  it('does not take a connection failure or a non-Kafka error for a rebalance', () => {
    expect(signalsRebalance(new KafkaJSConnectionError('Connection error'))).toBe(false);
    expect(signalsRebalance(new TypeError('bug'))).toBe(false);
  });

  it.each<[string, unknown, ReturnType<typeof commitErrorAction>]>([
    ['the generation is over', protocolError('ILLEGAL_GENERATION', false), 'group-lost'],
    ['the member was evicted', protocolError('UNKNOWN_MEMBER_ID', false), 'group-lost'],
    ['a rebalance is completing', protocolError('REBALANCE_IN_PROGRESS', false), 'group-lost'],
    ['the coordinator moved', protocolError('NOT_COORDINATOR_FOR_GROUP', true), 'retry'],
    ['the coordinator is loading', protocolError('COORDINATOR_LOAD_IN_PROGRESS', true), 'retry'],
    ['the connection dropped (broker restart)', new KafkaJSConnectionError('Connection error'), 'retry'],
    ['a retriable kafkajs error', new KafkaJSError('timeout'), 'retry'],
    ['a permanent broker answer', protocolError('GROUP_AUTHORIZATION_FAILED', false), 'give-up'],
    ['not a Kafka error at all', new TypeError('bug'), 'give-up'],
  ])('a commit failing because %s: %s', (_, error, action) => {
    expect(commitErrorAction(error)).toBe(action);
  });
});
