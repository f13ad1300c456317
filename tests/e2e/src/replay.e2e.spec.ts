import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resultRedisKey, resultRedisKeys } from '@conveyor/contracts';
import { findWorkspaceRoot } from '@conveyor/kafka-local';
import { OcrClient } from '@conveyor/ocr-client';
import type { LocalPlatform } from '@conveyor/platform';
import type { ReplayReport } from '@conveyor/replay';
import { deleteGroups, deleteRedisKeys, deleteTopicsWithPrefix, kafkaBrokers, redisUrl, uniqueName, withAdmin } from '@conveyor/testing';
import Redis from 'ioredis';
import { startTestPlatform } from './test-platform.test-support';

/**
 * `conveyor replay` on the real platform: requests read by the live OCR
 * pipeline are replayed from the input topic's history through a copy of the
 * pipeline the command starts. The same settings reproduce every result; a
 * smaller detection input (preprocess DET_LIMIT_SIDE) changes the text and the
 * report says so; a replay stopped with SIGINT resumes under its run id
 * without sending anything twice; live results stay byte-identical and the
 * replay leaves no topic, group or state file behind.
 */
jest.setTimeout(900_000);

const root = findWorkspaceRoot();
const SAMPLES = ['s208-0000.png', 's208-0002.png', 's208-0003.png'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('conveyor replay: a recorded window replayed through the real OCR stages', () => {
  const prefix = `${uniqueName('replay')}.`;
  const stateDir = mkdtempSync(join(tmpdir(), 'conveyor-replay-'));
  const env: NodeJS.ProcessEnv = { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(','), REDIS_URL: redisUrl(), TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn', CLAIM_TTL_SECONDS: '600' };
  const runs = { same: 'same', changed: 'changed' };
  let live: LocalPlatform | undefined;
  let redis: Redis;
  const ids: string[] = [];
  let since: string;
  let until: string;
  const liveBefore = new Map<string, string | null>();

  const conveyor = (args: string[], onStderr?: (text: string, child: ChildProcess) => void): Promise<Run> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [join(root, 'bin', 'conveyor.js'), 'replay', '--state-dir', stateDir, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        onStderr?.(stderr, child);
      });
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  const replayTopics = async (runId: string) => (await withAdmin((admin) => admin.listTopics())).filter((t) => t.startsWith(`${prefix}replay.${runId}.`));
  const liveKeys = async () => new Map(await Promise.all(ids.map(async (id) => [id, await redis.getBuffer(resultRedisKey(id)).then((b) => b?.toString('base64') ?? null)] as const)));

  beforeAll(async () => {
    redis = new Redis(redisUrl());
    live = await startTestPlatform(prefix);
    const client = await OcrClient.connect({ brokers: kafkaBrokers(), redisUrl: redisUrl(), topicPrefix: prefix });
    try {
      since = new Date(Date.now() - 1_000).toISOString();
      for (const file of SAMPLES) ids.push((await client.submit(readFileSync(join(root, 'samples', file)), 'image/png')).id);
      until = new Date(Date.now() + 1_000).toISOString();
      const results = await client.waitForResults(ids, { timeoutMs: 300_000 });
      expect([...results.values()].map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    } finally {
      await client.close();
    }
    // The live stages are done: stopping them leaves the machine to the replays (their topics and results stay).
    await live.stop();
    live = undefined;
    for (const [id, value] of await liveKeys()) liveBefore.set(id, value);
  });

  afterAll(async () => {
    await live?.stop();
    await deleteTopicsWithPrefix(prefix);
    await withAdmin(async (admin) => {
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
      await deleteGroups(admin, groups);
    });
    if (redis) {
      const keys = ids.flatMap((id) => resultRedisKeys(id));
      if (keys.length) await redis.del(...keys);
      for (const run of Object.values(runs)) await deleteRedisKeys(redis, `conveyor:result:${run}.`);
      for (const run of Object.values(runs)) await deleteRedisKeys(redis, `conveyor:announced:${run}.`);
      redis.disconnect();
    }
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('with the settings of the time: every result identical, live results untouched, nothing left behind', async () => {
    const run = await conveyor(['--since', since, '--until', until, '--run-id', runs.same, '--pipeline-version', 'same', '--json', '--timeout', '300']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as ReplayReport;
    expect(report).toMatchObject({ runId: runs.same, pipeline: 'ocr', pipelineVersion: 'same', state: 'completed', total: 3, copied: 3, liveTopic: `${prefix}ocr.requests` });
    expect(report.summary).toMatchObject({ requests: 3, identical: 3, different: 0, missing: 0, errors: 0, statusChanged: 0, meanCer: 0 });
    // Same settings, same versions (when results carry them: nothing to differ otherwise).
    expect(report.summary.versionChanges).toEqual([]);
    expect(report.rows.map((r) => r.originalId).sort()).toEqual([...ids].sort());
    expect(report.rows.every((r) => r.replayId === `${runs.same}.${r.originalId}`)).toBe(true);
    expect(report.cleanedUp?.topics).toContain(`${prefix}replay.${runs.same}.ocr.requests`);
    expect(await replayTopics(runs.same)).toEqual([]);
    const groups = (await withAdmin((admin) => admin.listGroups())).groups.map((g) => g.groupId);
    expect(groups.filter((g) => g.includes(runs.same))).toEqual([]);
    expect(readStateFiles()).toEqual([]);
    // The replay results are under their own ids, with a TTL.
    const ttl = await redis.ttl(resultRedisKey(`${runs.same}.${ids[0]}`));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(86_400);
    expect(await liveKeys()).toEqual(liveBefore);
  });

  it('with another detection setting, stopped and resumed: the differences reported, nothing sent twice', async () => {
    // Stopped (SIGINT) once everything is copied, while the results are awaited.
    const stopped = await conveyor(
      ['--since', since, '--until', until, '--run-id', runs.changed, '--pipeline-version', 'det-160', '--set', 'preprocess.DET_LIMIT_SIDE=160', '--no-cleanup'],
      (stderr, child) => {
        if (stderr.includes('waiting for results') && child.exitCode === null && !child.killed) child.kill('SIGINT');
      },
    );
    expect(stopped.code).toBe(130);
    expect(stopped.stdout).toContain(`INTERRUPTED after copying 3 of 3: run again with --run-id ${runs.changed} to resume`);
    expect(readStateFiles()).toEqual([`${runs.changed}.copied.ndjson`, `${runs.changed}.json`]);

    // Resumed by run id alone: its window, label and settings come from its state.
    const resumed = await conveyor(['--run-id', runs.changed, '--json', '--timeout', '300', '--no-cleanup']);
    expect(resumed.code).toBe(0);
    const report = JSON.parse(resumed.stdout) as ReplayReport;
    expect(report).toMatchObject({ resumed: true, state: 'completed', pipelineVersion: 'det-160', set: { preprocess: { DET_LIMIT_SIDE: '160' } }, total: 3, copied: 3, cleanedUp: null });
    expect(report.summary.requests).toBe(3);
    expect(report.summary.different).toBeGreaterThan(0);
    expect(report.summary.missing).toBe(0);
    expect(report.summary.meanCer).toBeGreaterThan(0);
    expect(report.mostDifferent[0].outcome).toBe('different');
    // With versions in the results, the changed setting shows as preprocess's configuration, and nothing else does.
    const withVersions = await redis.get(resultRedisKey(ids[0])).then((raw) => Array.isArray((JSON.parse(raw ?? '{}') as { versions?: unknown }).versions));
    if (withVersions) expect(report.summary.versionChanges.map((v) => v.change)).toEqual([expect.stringMatching(/^preprocess: config \S+ -> \S+$/)]);
    // Three requests in the window, three copies on the replay input topic.
    const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(`${prefix}replay.${runs.changed}.ocr.requests`));
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(3);
    expect(await liveKeys()).toEqual(liveBefore);
  });

  function readStateFiles(): string[] {
    return readdirSync(stateDir).sort();
  }
});
