import { CloudEventHeader, headerString, resultRedisKeys } from '@conveyor/contracts';
import { generateCorpus, type Corpus } from '@conveyor/corpus';
import { OcrClient } from '@conveyor/ocr-client';
import type { LocalPlatform } from '@conveyor/platform';
import { deleteGroups, deleteTopicsWithPrefix, kafkaBrokers, redisUrl, testKafka, uniqueName, waitFor, withAdmin, withRedis } from '@conveyor/testing';
import type { Consumer, KafkaMessage } from 'kafkajs';
import { startTestPlatform } from './test-platform.test-support';

/**
 * `npm start` heals: a stage process killed with SIGKILL while it works on
 * requests is started again by the launcher's supervisor (nobody restarts it
 * from outside), and every request still gets exactly one ok result.
 */
jest.setTimeout(600_000);

const STAGE = 'ocr-features';

async function inFlight(platform: LocalPlatform, stage: string): Promise<number> {
  const text = await fetch(`${platform.healthUrls[stage]}/metrics`).then((r) => r.text(), () => '');
  const match = /^conveyor_in_flight(?:\{[^}]*\})? (\d+)/m.exec(text);
  return match ? Number(match[1]) : 0;
}

describe('a stage killed under load is restarted by the launcher', () => {
  const prefix = `${uniqueName('heal')}.`;
  const launcherLines: string[] = [];
  const resultEvents: KafkaMessage[] = [];
  const resultsGroup = uniqueName('heal-results');
  const ids: string[] = [];
  let corpus: Corpus;
  let platform: LocalPlatform | undefined;
  let client: OcrClient | undefined;
  let resultsConsumer: Consumer | undefined;

  beforeAll(async () => {
    corpus = await generateCorpus({ seed: 4711, count: 10, rotatedShare: 0 });
    platform = await startTestPlatform(prefix, {}, ['ocr'], (line) => launcherLines.push(line));
    client = await OcrClient.connect({ brokers: kafkaBrokers(), redisUrl: redisUrl(), topicPrefix: prefix });
    resultsConsumer = testKafka('heal-results').consumer({ groupId: resultsGroup });
    await resultsConsumer.connect();
    await resultsConsumer.subscribe({ topic: `${prefix}ocr.results`, fromBeginning: true });
    await resultsConsumer.run({ eachMessage: async ({ message }) => void resultEvents.push(message) });
  });

  afterAll(async () => {
    await client?.close();
    await resultsConsumer?.disconnect();
    await platform?.stop();
    if (ids.length) await withRedis((redis) => redis.del(...ids.flatMap((id) => resultRedisKeys(id))));
    await withAdmin((admin) => deleteGroups(admin, [resultsGroup]));
    await deleteTopicsWithPrefix(prefix);
  });

  it('SIGKILL to features while it holds requests: restarted with backoff, and one ok result per request', async () => {
    const running = platform!;
    for (const item of corpus.items) {
      const { id } = await client!.submit(item.data, item.truth.format === 'png' ? 'image/png' : 'image/jpeg');
      ids.push(id);
    }
    await waitFor(`${STAGE} working on requests`, async () => (await inFlight(running, STAGE)) > 0, 120_000);
    const killedPid = running.supervisor.pid(STAGE)!;
    process.kill(killedPid, 'SIGKILL');

    await waitFor(`${STAGE} restarted by the supervisor`, () => running.supervisor.restarts(STAGE) === 1 && running.supervisor.pid(STAGE) !== undefined, 120_000);
    expect(running.supervisor.pid(STAGE)).not.toBe(killedPid);
    expect(launcherLines).toContainEqual(expect.stringMatching(new RegExp(`^\\[${STAGE}\\] exited unexpectedly \\(code null, signal SIGKILL\\) after .* s; restarting it in 1 s \\(crash 1 in a row\\)$`)));

    const results = await client!.waitForResults(ids, { timeoutMs: 400_000 });
    expect([...results.values()].map((r) => r.status)).toEqual(ids.map(() => 'ok'));

    // Exactly one result event per request, although the killed stage's uncommitted inputs were processed again.
    await waitFor('one result event per request', () => ids.every((id) => resultEvents.some((m) => m.key?.toString() === id)), 60_000);
    await new Promise((r) => setTimeout(r, 1_000));
    for (const id of ids) expect(resultEvents.filter((m) => headerString(m.headers, CloudEventHeader.id) === id)).toHaveLength(1);
    expect(resultEvents).toHaveLength(ids.length);
    expect(running.supervisor.state(STAGE)).toBe('running');
    expect(running.supervisor.restarts(STAGE)).toBe(1);
  });
});
