import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cloudEventSource, hashPrefix, newRequestId, parseVersions, toCloudEventHeaders, type KafkaHeaders } from '@conveyor/contracts';
import { findFreePort, findWorkspaceRoot } from '@conveyor/kafka-local';
import { consumerGroup, topicName } from '@conveyor/pipeline';
import { ocrPipeline } from '@conveyor/pipelines';
import { deleteGroups, deleteTopicsWithPrefix, kafkaBrokers, redisUrl, testKafka, uniqueName, waitFor, withAdmin } from '@conveyor/testing';
import { Partitioners, type Consumer, type Producer } from 'kafkajs';
import { canaryProcesses, CanaryUsageError, parseCanarySettings, readCanaries, resolveCanaryStage, startCanary, type RunningCanary } from './canary';
import { stageServiceSpec } from './local-platform';
import { ProcessSupervisor } from './process-supervisor';
import { collectStatus, formatVersionsTable, stageMetrics, stageVersions } from './status';
import { ensureTopics, topicsOf } from './topics';

/*
 * A partition canary on real Kafka and Redis with the real OCR preprocess
 * stage: the live process holds both partitions of ocr.requests; a canary with
 * another MAX_PAGE_SIDE joins the same group and takes one of them. Every
 * request sent to the canary's partition is preprocessed by the canary (its
 * configuration hash in the output's conveyor-versions header), every other by
 * the live process; status shows both versions side by side; stopping the
 * canary gives its partition back and nothing is lost.
 */
jest.setTimeout(300_000);

const root = findWorkspaceRoot();
const prefix = `${uniqueName('canary')}.`;
const input = topicName(ocrPipeline, 'requests', prefix);
const output = topicName(ocrPipeline, 'preprocessed', prefix);
const image = readFileSync(join(root, 'samples', readdirSync(join(root, 'samples')).filter((f) => f.endsWith('.png')).sort()[0]));
const stateDir = mkdtempSync(join(tmpdir(), 'conveyor-canary-'));
const lines: string[] = [];
const stageEnv = { ...process.env, LOG_LEVEL: 'warn', CLAIM_TTL_SECONDS: '600', RESULT_TTL_SECONDS: '600' };

let live: ProcessSupervisor;
let liveUrl = '';
let canary: RunningCanary | undefined;
let producer: Producer;
let collector: Consumer;
/** Request id → preprocess config hash prefixes of the outputs seen for it. */
const processedBy = new Map<string, string[]>();

async function send(partition: number, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => newRequestId());
  await producer.send({
    topic: input,
    acks: -1,
    messages: ids.map((id) => ({
      key: id,
      value: image,
      partition,
      headers: toCloudEventHeaders({ specversion: '1.0', id, source: cloudEventSource('test'), type: ocrPipeline.input.eventType, contentType: 'image/png' }),
    })),
  });
  return ids;
}

async function partitionsOf(url: string): Promise<number[]> {
  return (await stageMetrics(url, input))?.partitions ?? [];
}

beforeAll(async () => {
  await withAdmin((admin) => ensureTopics(admin, topicsOf([ocrPipeline], prefix, 2)));
  const port = await findFreePort();
  liveUrl = `http://127.0.0.1:${port}`;
  live = new ProcessSupervisor(
    [
      stageServiceSpec('ocr-preprocess', 'preprocess', root, {
        ...stageEnv,
        PIPELINE: 'ocr',
        STAGE: 'preprocess',
        KAFKA_BROKERS: kafkaBrokers().join(','),
        REDIS_URL: redisUrl(),
        TOPIC_PREFIX: prefix,
        HTTP_PORT: String(port),
      }),
    ],
    { write: (line) => lines.push(line), restart: false },
  );
  live.startAll();
  await waitFor('the live preprocess to be ready with both partitions', async () => (await partitionsOf(liveUrl)).length === 2, 120_000, () => lines.slice(-30).join('\n'));

  const kafka = testKafka('canary-test');
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  collector = kafka.consumer({ groupId: uniqueName('canary-collect'), maxWaitTimeInMs: 250 });
  await collector.connect();
  await collector.subscribe({ topic: output, fromBeginning: true });
  await collector.run({
    eachMessage: async ({ message }) => {
      const id = message.key?.toString() ?? '';
      const preprocess = parseVersions(message.headers as KafkaHeaders).find((v) => v.stage === 'preprocess');
      processedBy.set(id, [...(processedBy.get(id) ?? []), preprocess?.configHash ?? '?']);
    },
  });
});

afterAll(async () => {
  await canary?.stop();
  await live?.stopAll();
  await collector?.disconnect();
  await producer?.disconnect();
  rmSync(stateDir, { recursive: true, force: true });
  await withAdmin((admin) => deleteGroups(admin, [`${prefix}${consumerGroup(ocrPipeline, ocrPipeline.stages[0])}`])).catch(() => undefined);
  await deleteTopicsWithPrefix(prefix);
});

describe('canary inputs', () => {
  it.each([
    ['MAX_PAGE_SIDE=1536', { MAX_PAGE_SIDE: '1536' }],
    ['A=1 B=x=y C=', { A: '1', B: 'x=y', C: '' }],
  ])('parses --set %s', (sets, env) => expect(parseCanarySettings(sets.split(' '))).toEqual(env));

  it.each([
    [['max_page_side=1'], /upper-case variable name/],
    [['=1'], /upper-case variable name/],
    [['NOEQUALS'], /upper-case variable name/],
    [['TOPIC_PREFIX=x.'], /keeps the live stage's PIPELINE, STAGE, TOPIC_PREFIX/],
    [['HTTP_PORT=1'], /keeps the live stage's/],
    [['A=1', 'A=2'], /given twice/],
  ])('refuses --set %j', (sets, message) => {
    expect(() => parseCanarySettings(sets)).toThrow(CanaryUsageError);
    expect(() => parseCanarySettings(sets)).toThrow(message);
  });

  it('names the known pipelines and stages when one is unknown', () => {
    expect(() => resolveCanaryStage([ocrPipeline], 'nope', 'preprocess')).toThrow(/unknown pipeline "nope" \(pipelines: ocr\)/);
    expect(() => resolveCanaryStage([ocrPipeline], 'ocr', 'nope')).toThrow(/no stage "nope" \(stages: preprocess, features, inference, postprocess\)/);
    expect(resolveCanaryStage([ocrPipeline], 'ocr', 'inference').stage.name).toBe('inference');
  });

  it('refuses to start where the live pipeline does not run (no input topic)', async () => {
    const attempt = startCanary({ pipeline: 'ocr', stage: 'preprocess', settings: {}, brokers: kafkaBrokers(), redisUrl: redisUrl(), topicPrefix: `${prefix}absent.`, httpPort: 0, env: stageEnv, log: () => undefined, stateDir });
    await expect(attempt).rejects.toThrow(/topic .*absent\.ocr\.requests does not exist: is the live pipeline running here/);
  });
});

describe('partition canary', () => {
  let canaryPartition = -1;
  let livePartition = -1;
  let liveHash = '';
  let canaryHash = '';
  const sentBefore: string[] = [];

  it('joins the live group with one of the two partitions', async () => {
    canary = await startCanary({
      pipeline: 'ocr',
      stage: 'preprocess',
      settings: { MAX_PAGE_SIDE: '1536' },
      name: 'pre-canary',
      brokers: kafkaBrokers(),
      redisUrl: redisUrl(),
      topicPrefix: prefix,
      httpPort: 0,
      env: stageEnv,
      log: (line) => lines.push(line),
      stateDir,
    });
    expect(readCanaries(stateDir, prefix).map((r) => [r.name, r.service, r.url])).toEqual([['pre-canary', 'ocr-preprocess', canary.record.url]]);
    const canaryUrl = canary.record.url;
    await waitFor('the rebalance: one partition each', async () => {
      const [a, b] = [await partitionsOf(liveUrl), await partitionsOf(canaryUrl)];
      return a.length === 1 && b.length === 1 && a[0] !== b[0];
    }, 60_000, () => lines.slice(-30).join('\n'));
    [canaryPartition] = await partitionsOf(canaryUrl);
    [livePartition] = await partitionsOf(liveUrl);
    liveHash = (await stageVersions(liveUrl))?.configHash ?? '';
    canaryHash = (await stageVersions(canaryUrl))?.configHash ?? '';
    expect(liveHash).toMatch(/^[0-9a-f]{12,64}$/);
    expect(canaryHash).toMatch(/^[0-9a-f]{12,64}$/);
    expect(canaryHash).not.toBe(liveHash);
  });

  it("processes its partition's requests only, and the live process the others", async () => {
    const toCanary = await send(canaryPartition, 6);
    const toLive = await send(livePartition, 6);
    sentBefore.push(...toCanary, ...toLive);
    await waitFor('every request preprocessed', () => sentBefore.every((id) => processedBy.has(id)), 120_000, () => lines.slice(-30).join('\n'));
    expect(toCanary.map((id) => [id, [...new Set(processedBy.get(id))]])).toEqual(toCanary.map((id) => [id, [hashPrefix(canaryHash)]]));
    expect(toLive.map((id) => [id, [...new Set(processedBy.get(id))]])).toEqual(toLive.map((id) => [id, [hashPrefix(liveHash)]]));
  });

  it('status shows both versions side by side with their partitions, counts and latency', async () => {
    const rows = await collectStatus({
      brokers: kafkaBrokers(),
      topicPrefix: prefix,
      pipelines: [ocrPipeline],
      healthUrls: { 'ocr-preprocess': liveUrl },
      processes: canaryProcesses(readCanaries(stateDir, prefix)),
      sampleMs: 100,
    });
    const row = rows.find((r) => r.stage === 'preprocess');
    expect(row).toMatchObject({ ready: true, partitions: 2 });
    expect(row?.groupMembers.map((m) => m.partitions).sort()).toEqual([[0], [1]]);
    expect(row?.groupMembers.map((m) => m.clientId).sort()).toEqual(['conveyor-ocr-preprocess', 'conveyor-pre-canary']);
    expect(row?.versionGroups.map((g) => ({ configHash: g.configHash, processes: g.processes, canary: g.canary, partitions: g.partitions, consumed: g.consumed, errors: g.errors, errorRate: g.errorRate }))).toEqual([
      { configHash: liveHash, processes: ['ocr-preprocess'], canary: false, partitions: [livePartition], consumed: 6, errors: 0, errorRate: 0 },
      { configHash: canaryHash, processes: ['pre-canary'], canary: true, partitions: [canaryPartition], consumed: 6, errors: 0, errorRate: 0 },
    ]);
    for (const group of row?.versionGroups ?? []) {
      expect(group.latency.mean).toBeGreaterThan(0);
      expect(group.latency.p95).toBeGreaterThanOrEqual(group.latency.p50 ?? Infinity);
    }
    const table = formatVersionsTable(rows.filter((r) => r.stage === 'preprocess'));
    expect(table).toMatch(new RegExp(`${hashPrefix(liveHash)} .* ${livePartition} of 2 .* ocr-preprocess\\n`));
    expect(table).toMatch(new RegExp(`\\* +${hashPrefix(canaryHash)} .* ${canaryPartition} of 2 .* pre-canary\\n`));
  });

  it('rolls back by stopping the canary: the live process takes its partition back and nothing is lost', async () => {
    await canary?.stop();
    canary = undefined;
    expect(readCanaries(stateDir, prefix)).toEqual([]);
    await waitFor('the live process to own both partitions again', async () => (await partitionsOf(liveUrl)).length === 2, 60_000, () => lines.slice(-30).join('\n'));
    const after = [...(await send(canaryPartition, 4)), ...(await send(livePartition, 2))];
    await waitFor('every request after the rollback preprocessed', () => after.every((id) => processedBy.has(id)), 120_000, () => lines.slice(-30).join('\n'));
    expect(after.map((id) => [...new Set(processedBy.get(id))])).toEqual(after.map(() => [hashPrefix(liveHash)]));
    // Nothing lost: every request of the run has its preprocessed output.
    expect([...sentBefore, ...after].filter((id) => !processedBy.has(id))).toEqual([]);
  });
});
