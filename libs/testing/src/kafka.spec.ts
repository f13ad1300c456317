import { createTopics, deleteTopics, kafkaBrokers, uniqueName, withAdmin } from './index';

describe('kafkaBrokers', () => {
  it.each([
    ['127.0.0.1:9092', ['127.0.0.1:9092']],
    ['a:1,b:2', ['a:1', 'b:2']],
  ])('reads KAFKA_BROKERS=%j', (value, expected) => {
    expect(kafkaBrokers({ KAFKA_BROKERS: value })).toEqual(expected);
  });

  it('explains how to get a broker when KAFKA_BROKERS is missing', () => {
    expect(() => kafkaBrokers({})).toThrow(/KAFKA_BROKERS is not set.*global-setup\.js/);
  });

  it('is set for every test by the global setup', () => {
    expect(kafkaBrokers().length).toBeGreaterThan(0);
  });
});

describe('topic helpers', () => {
  jest.setTimeout(60_000);

  it('creates, then deletes topics, tolerating ones already gone', async () => {
    const topic = uniqueName('helpers');
    await withAdmin(async (admin) => {
      expect(await createTopics(admin, [{ topic, numPartitions: 2 }])).toEqual([topic]);
      expect(await admin.listTopics()).toContain(topic);
      await deleteTopics(admin, [topic, uniqueName('never-created')]);
      await deleteTopics(admin, [topic]);
    });
  });
});
