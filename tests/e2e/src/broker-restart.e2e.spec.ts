import net from 'node:net';
import { resultRedisKeys } from '@conveyor/contracts';
import { generateCorpus, type Corpus } from '@conveyor/corpus';
import { OcrClient } from '@conveyor/ocr-client';
import { startLocalPlatform, type LocalPlatform } from '@conveyor/platform';
import { redisUrl, uniqueName, waitFor, withRedis } from '@conveyor/testing';

/**
 * The launcher's own broker (as `npm start` runs it, here in a temporary data
 * dir on a free port) killed with SIGKILL: the launcher says so, starts it
 * again on the same port with the same data, and the stages serve requests
 * again without anyone restarting anything by hand.
 */
jest.setTimeout(900_000);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the launcher\'s broker dies', () => {
  const prefix = `${uniqueName('broker')}.`;
  const lines: string[] = [];
  const ids: string[] = [];
  let corpus: Corpus;
  let platform: LocalPlatform | undefined;

  beforeAll(async () => {
    corpus = await generateCorpus({ seed: 99, count: 2, rotatedShare: 0 });
    platform = await startLocalPlatform({
      kafkaBrokers: undefined, // start and keep a broker of its own, not the test run's
      kafkaPort: 0,
      redisUrl: redisUrl(),
      topicPrefix: prefix,
      partitions: 2,
      pipelines: ['ocr'],
      httpBasePort: 0,
      env: { ...process.env, LOG_LEVEL: 'warn', CLAIM_TTL_SECONDS: '600' },
      log: (line) => lines.push(line),
      kafkaRestart: { maxFailedStarts: 2 },
    });
  });

  let blocker: net.Server | undefined;

  afterAll(async () => {
    const jvm = platform?.kafka.pid;
    await platform?.stop(); // its broker and temporary data dir go with it
    if (jvm) expect(isAlive(jvm)).toBe(false);
    await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
    if (ids.length) await withRedis((redis) => redis.del(...ids.flatMap((id) => resultRedisKeys(id))));
  });

  async function readOne(index: number): Promise<string> {
    const client = await OcrClient.connect({ brokers: [platform!.brokers], redisUrl: redisUrl(), topicPrefix: prefix });
    try {
      const item = corpus.items[index];
      const { id } = await client.submit(item.data, item.truth.format === 'png' ? 'image/png' : 'image/jpeg');
      ids.push(id);
      const results = await client.waitForResults([id], { timeoutMs: 600_000 });
      return results.get(id)?.status ?? 'no result';
    } finally {
      await client.close();
    }
  }

  it('is restarted on the same port with its data, and requests are served again', async () => {
    const running = platform!;
    expect(running.kafka.external).toBe(false);
    expect(await readOne(0)).toBe('ok');

    const jvm = running.kafka.pid!;
    process.kill(jvm, 'SIGKILL');
    await waitFor('the broker restarted by the launcher', () => running.kafka.restarts === 1 && running.kafka.pid !== undefined, 300_000, () => lines.slice(-20).join('\n'));
    expect(isAlive(jvm)).toBe(false);
    expect(running.kafka.pid).not.toBe(jvm);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\[kafka\\] the broker \\(pid ${jvm}\\) DIED \\(code null, signal SIGKILL\\); its last log lines:`)));
    expect(lines).toContain(`[kafka] broker restarted on ${running.brokers} (pid ${running.kafka.pid}, restart 1); topics and committed offsets are kept`);

    const status = await readOne(1);
    if (status !== 'ok') throw new Error(`no ok result after the broker's restart (${status}); the last launcher and stage lines:\n${lines.slice(-80).join('\n')}`);
    const settled = await Promise.race([running.failed.then(() => 'failed'), Promise.resolve('still up')]);
    expect(settled).toBe('still up');
    const stageRestarts = Object.keys(running.healthUrls).map((name) => `${name}: ${running.supervisor.restarts(name)}`);
    process.stdout.write(`stage restarts after the broker's death (the stages' own business): ${stageRestarts.join(', ')}\n`);
  });

  it('stops the stages with the reason when the broker cannot be started again', async () => {
    const running = platform!;
    const jvm = running.kafka.pid!;
    const port = Number(running.brokers.split(':')[1]);
    process.kill(jvm, 'SIGKILL');
    await waitFor('the broker gone', () => running.kafka.pid === undefined && !isAlive(jvm), 60_000);
    // Someone takes the port before the first restart attempt (1 s later): no start can succeed.
    blocker = net.createServer((socket) => socket.destroy()); // clients knocking on the port must not keep close() waiting
    await new Promise<void>((resolve) => blocker!.listen(port, '127.0.0.1', resolve));

    const error = await running.failed;
    expect(error.message).toMatch(new RegExp(`^the Kafka broker died and could not be started again \\(2 attempts\\); last error: Port ${port} on 127\\.0\\.0\\.1 is already in use`));
    expect(running.supervisor.names()).toEqual([]); // every stage stopped
    expect(lines).toContain(`[kafka] ${error.message}; stopping the stages`);
  });
});
