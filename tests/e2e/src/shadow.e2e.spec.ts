import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resultRedisKey, resultRedisKeys } from '@conveyor/contracts';
import { findWorkspaceRoot } from '@conveyor/kafka-local';
import { OcrClient } from '@conveyor/ocr-client';
import { ocrPipeline } from '@conveyor/pipelines';
import type { LocalPlatform } from '@conveyor/platform';
import { resultOutput } from '@conveyor/replay';
import { planShadow, shadowRedisPatterns, type ShadowReport } from '@conveyor/shadow';
import { consumeMessages, deleteTopicsWithPrefix, kafkaBrokers, redisUrl, uniqueName, withAdmin } from '@conveyor/testing';
import Redis from 'ioredis';
import { startTestPlatform } from './test-platform.test-support';

/**
 * `conveyor shadow` on the real platform: a shadow of `preprocess` with a
 * smaller detection input (DET_LIMIT_SIDE=160) runs beside the live OCR
 * pipeline, it and the stages after it on topics, groups and result keys of
 * their own. Its report and metrics show the differences; live results are
 * byte-identical to what the live pipeline gives without a shadow, and
 * stopping it leaves no topic, group or Redis key behind.
 */
jest.setTimeout(900_000);

const root = findWorkspaceRoot();
const SAMPLES = ['s208-0000.png', 's208-0002.png'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('conveyor shadow: a new preprocess setting shadowing the live OCR pipeline', () => {
  const prefix = `${uniqueName('shadow')}.`;
  const name = `s${Date.now().toString(36)}`;
  const env: NodeJS.ProcessEnv = { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(','), REDIS_URL: redisUrl(), TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn', CLAIM_TTL_SECONDS: '600' };
  const plan = planShadow({ name, pipeline: ocrPipeline, stage: 'preprocess', liveTopicPrefix: prefix });
  let live: LocalPlatform | undefined;
  let shadow: ChildProcess | undefined;
  let redis: Redis;
  const ids: string[] = [];

  const conveyor = (args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [join(root, 'bin', 'conveyor.js'), 'shadow', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });

  /** OCR of the samples by the live pipeline: the result values in Redis, by request id. */
  const submit = async (): Promise<Map<string, string>> => {
    const client = await OcrClient.connect({ brokers: kafkaBrokers(), redisUrl: redisUrl(), topicPrefix: prefix });
    try {
      const batch: string[] = [];
      for (const file of SAMPLES) batch.push((await client.submit(readFileSync(join(root, 'samples', file)), 'image/png')).id);
      ids.push(...batch);
      const results = await client.waitForResults(batch, { timeoutMs: 300_000 });
      expect([...results.values()].map((r) => r.status)).toEqual(SAMPLES.map(() => 'ok'));
      return new Map(await Promise.all(batch.map(async (id) => [id, (await redis.get(resultRedisKey(id))) ?? ''] as const)));
    } finally {
      await client.close();
    }
  };
  /** What a live result says, without what differs between any two runs of the same image (id, timings, completedAt, its versions kept). */
  const output = (raw: string) => {
    const parsed = JSON.parse(raw) as Record<string, unknown>;
    return { ...resultOutput(parsed), versions: parsed['versions'] };
  };
  const leftovers = async () => {
    const topics = (await withAdmin((admin) => admin.listTopics())).filter((t) => t.startsWith(plan.topicPrefix));
    const groups = (await withAdmin((admin) => admin.listGroups())).groups.map((g) => g.groupId).filter((g) => g.startsWith(plan.topicPrefix));
    const keys: string[] = [];
    for (const pattern of shadowRedisPatterns(plan)) keys.push(...(await redis.keys(pattern)));
    return { topics, groups, keys };
  };

  beforeAll(async () => {
    redis = new Redis(redisUrl());
    live = await startTestPlatform(prefix);
  });

  afterAll(async () => {
    if (shadow && shadow.exitCode === null) shadow.kill('SIGKILL');
    await live?.stop();
    await conveyor(['stop', '--name', name]).catch(() => undefined);
    await deleteTopicsWithPrefix(prefix);
    if (redis) {
      const keys = ids.flatMap((id) => resultRedisKeys(id));
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
  });

  it('reports the differences, leaves live results byte-identical and nothing behind when stopped', async () => {
    // Without a shadow: what the live pipeline answers for the samples.
    const withoutShadow = await submit();

    let started = '';
    shadow = spawn(
      process.execPath,
      [join(root, 'bin', 'conveyor.js'), 'shadow', 'start', '--pipeline', 'ocr', '--stage', 'preprocess', '--name', name, '--set', 'preprocess.DET_LIMIT_SIDE=160', '--live-wait', '120'],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let shadowErr = '';
    shadow.stdout?.on('data', (d: Buffer) => (started += d.toString()));
    shadow.stderr?.on('data', (d: Buffer) => (shadowErr += d.toString()));
    const exited = new Promise<number | null>((resolve) => shadow?.on('exit', (code) => resolve(code)));
    for (let t = 0; !started.includes('is running') && t < 600; t++) {
      if (shadow.exitCode !== null) throw new Error(`shadow start exited ${shadow.exitCode}: ${shadowErr}`);
      await sleep(500);
    }
    expect(started).toContain(`shadow ${name} is running`);
    const metricsUrl = /metrics on (http:\/\/\S+\/metrics)/.exec(started)?.[1];
    expect(metricsUrl).toBeDefined();

    // With the shadow: the same images, new request ids.
    const withShadow = await submit();
    const shadowIds = [...withShadow.keys()];
    // The shadow's results arrive under its own keys.
    for (let t = 0; t < 600; t++) {
      const found = await redis.exists(...shadowIds.map((id) => plan.resultKeyPrefix + id));
      if (found === shadowIds.length) break;
      await sleep(500);
    }
    expect(await redis.exists(...shadowIds.map((id) => plan.resultKeyPrefix + id))).toBe(shadowIds.length);

    // Live results: what the pipeline gives without a shadow (same text, boxes, versions), and never rewritten.
    expect([...withShadow.values()].map(output)).toEqual([...withoutShadow.values()].map(output));

    // The report: only the requests sent while the shadow ran, different text, the changed setting as a version difference.
    const reported = await conveyor(['report', '--name', name, '--json']);
    expect(reported.code).toBe(0);
    const report = JSON.parse(reported.stdout) as ShadowReport;
    expect(report.rows.map((r) => r.originalId).sort()).toEqual([...shadowIds].sort());
    expect(report.summary).toMatchObject({ requests: SAMPLES.length, missing: 0, errors: 0 });
    expect(report.summary.different).toBeGreaterThan(0);
    expect(report.summary.meanCer).toBeGreaterThan(0);
    expect(report.summary.meanReplayMs).toBeGreaterThan(0);
    expect(report.summary.versionChanges.map((v) => v.change)).toEqual([expect.stringMatching(/^preprocess: config \S+ -> \S+$/)]);

    // The comparer's metrics.
    let metrics = '';
    for (let t = 0; t < 240; t++) {
      metrics = await fetch(metricsUrl ?? '').then((r) => r.text());
      if (/conveyor_shadow_text_cer_count\{pipeline="ocr",shadow="[^"]+"\} 2/.test(metrics)) break;
      await sleep(500);
    }
    expect(metrics).toMatch(new RegExp(`conveyor_shadow_compared_total\\{pipeline="ocr",shadow="${name}",outcome="different"\\} [1-9]`));
    expect(metrics).toContain(`conveyor_shadow_text_cer_count{pipeline="ocr",shadow="${name}"} 2`);
    expect(metrics).toContain(`conveyor_shadow_latency_delta_seconds_count{pipeline="ocr",shadow="${name}"} 2`);

    // Bad input while the shadow runs: each side dead-letters it on its own topics and answers it under its own key.
    const client = await OcrClient.connect({ brokers: kafkaBrokers(), redisUrl: redisUrl(), topicPrefix: prefix });
    const sample = readFileSync(join(root, 'samples', SAMPLES[0]!));
    const brokenId = (await client.submit(sample.subarray(0, sample.length / 2), 'image/png')).id;
    ids.push(brokenId);
    await client.close();
    const liveDlq = `${prefix}ocr.requests.dlq`;
    const shadowDlq = `${plan.topicPrefix}ocr.requests.dlq`;
    for (const topic of [liveDlq, shadowDlq]) {
      const [letter] = await consumeMessages({ topic, count: 1, timeoutMs: 120_000 });
      expect(letter?.key?.toString()).toBe(brokenId);
    }
    for (let t = 0; t < 240 && !(await redis.exists(plan.resultKeyPrefix + brokenId)); t++) await sleep(500);
    const messagesOn = async (topic: string) => (await withAdmin((admin) => admin.fetchTopicOffsets(topic))).reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
    expect({ live: await messagesOn(liveDlq), shadow: await messagesOn(shadowDlq) }).toEqual({ live: 1, shadow: 1 });
    expect(JSON.parse((await redis.get(resultRedisKey(brokenId))) ?? '{}')).toMatchObject({ status: 'failed', error: { code: 'UNDECODABLE_IMAGE' } });
    expect(JSON.parse((await redis.get(plan.resultKeyPrefix + brokenId)) ?? '{}')).toMatchObject({ status: 'failed', error: { code: 'UNDECODABLE_IMAGE' } });

    // Stopped from another terminal: the launcher prints its final report and removes everything the shadow made.
    const stopped = await conveyor(['stop', '--name', name]);
    expect(stopped.stderr).toBe('');
    expect(stopped.code).toBe(0);
    expect(await exited).toBe(0);
    expect(started).toMatch(/requests 3 {2}identical \d {2}different [1-9]/);
    expect(started).toMatch(/cleaned up: 8 topics, 5 consumer groups, \d+ Redis keys/);
    expect(await leftovers()).toEqual({ topics: [], groups: [], keys: [] });

    // The live results are still the bytes they were.
    for (const [id, value] of [...withoutShadow, ...withShadow]) expect(await redis.get(resultRedisKey(id))).toBe(value);
  });
});
