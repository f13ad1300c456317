import { InvalidKafkaOptionsError } from './errors';
import { parseBrokerList, resolveKafka } from './resolve-kafka';

describe('parseBrokerList', () => {
  it.each([
    ['127.0.0.1:9092', ['127.0.0.1:9092']],
    [' a:1 , b:65535 ', ['a:1', 'b:65535']],
    ['kafka-0.kafka.svc:9092,', ['kafka-0.kafka.svc:9092']],
    ['[::1]:9092', ['[::1]:9092']],
  ])('reads %j as %j', (value, expected) => {
    expect(parseBrokerList(value)).toEqual(expected);
  });

  it.each([',', 'localhost', 'localhost:0', 'localhost:70000', 'host:port'])('rejects %j', (value) => {
    expect(() => parseBrokerList(value)).toThrow(InvalidKafkaOptionsError);
  });
});

describe('resolveKafka', () => {
  it('uses KAFKA_BROKERS and starts nothing when it is set', async () => {
    // A PATH without java proves no broker start was even attempted.
    const resolved = await resolveKafka({}, { KAFKA_BROKERS: 'broker-a:9092,broker-b:9093', PATH: '/nonexistent' });
    expect(resolved).toMatchObject({ brokers: 'broker-a:9092,broker-b:9093', external: true });
    await expect(resolved.stop()).resolves.toBeUndefined();
  });

  it('validates KAFKA_BROKERS', async () => {
    await expect(resolveKafka({}, { KAFKA_BROKERS: 'no-port' })).rejects.toThrow(/not host:port/);
  });
});
