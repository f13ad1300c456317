import { ocrPipeline } from '@conveyor/pipelines';
import { createTopics, deleteTopicsWithPrefix, testKafka, uniqueName, withAdmin } from '@conveyor/testing';
import { ConfigResourceTypes, type Admin } from 'kafkajs';
import { ensureTopics, topicsOf } from './topics';

jest.setTimeout(120_000);

async function topicConfig(admin: Admin, topic: string): Promise<Record<string, string>> {
  const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] });
  return Object.fromEntries(resources[0].configEntries.map((e) => [e.configName, e.configValue]));
}

describe('ensureTopics against the test broker', () => {
  const prefix = `${uniqueName('topics')}.`;
  const requests = `${prefix}ocr.requests`;
  const wantedLimit = ocrPipeline.topics['requests'].config!['max.message.bytes'];

  afterAll(() => deleteTopicsWithPrefix(prefix));

  it('alters a topic left by an older run (broker-default max.message.bytes) to the definition, keeping its other overrides', async () => {
    await withAdmin(async (admin) => {
      // An older run's input topic: no max.message.bytes override, but an operator's retention.ms.
      await createTopics(admin, [{ topic: requests, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] }]);
      const before = await topicConfig(admin, requests);
      expect(Number(before['max.message.bytes'])).toBeLessThan(2 * 1024 * 1024);

      // The bug this fixes: a 1.2 MB image is refused by such a topic.
      const producer = testKafka('topics-spec').producer({ idempotent: true, allowAutoTopicCreation: false });
      await producer.connect();
      try {
        const image = Buffer.alloc(1_200_000, 7);
        await expect(producer.send({ topic: requests, acks: -1, messages: [{ key: 'a', value: image }] })).rejects.toThrow(
          /larger than the max message size the server will accept/,
        );

        const report = await ensureTopics(admin, topicsOf([ocrPipeline], prefix, 2));
        expect(report.altered).toEqual(
          expect.arrayContaining([{ topic: requests, changes: [{ name: 'max.message.bytes', from: before['max.message.bytes'], to: wantedLimit }] }]),
        );
        expect(report.created).toEqual(expect.arrayContaining([`${prefix}ocr.preprocessed`, `${prefix}ocr.requests.dlq`]));
        expect(report.created).not.toContain(requests);
        expect(report.kept).toEqual([{ topic: requests, partitions: 2, wanted: 2 }]);

        const after = await topicConfig(admin, requests);
        expect(after['max.message.bytes']).toBe(wantedLimit);
        expect(after['retention.ms']).toBe('3600000');
        await producer.send({ topic: requests, acks: -1, messages: [{ key: 'a', value: image }] });
      } finally {
        await producer.disconnect();
      }

      // Created topics got their configs at creation; nothing differs on a second run.
      expect((await topicConfig(admin, `${prefix}ocr.requests.dlq`))['max.message.bytes']).toBe(wantedLimit);
      const again = await ensureTopics(admin, topicsOf([ocrPipeline], prefix, 2));
      expect(again.altered).toEqual([]);
      expect(again.created).toEqual([]);
    });
  });
});
