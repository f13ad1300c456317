/*
 * Copying a time window of a live input topic to a replay input topic on the
 * real broker: the offsets found by timestamp, ids rewritten, headers and
 * values kept, a stop between chunks and a resume that sends nothing twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consumeMessages, createTopics, deleteGroups, deleteTopicsWithPrefix, testKafka, uniqueName, withAdmin } from '@conveyor/testing';
import type { Producer } from 'kafkajs';
import { copierGroup } from '../lib/ids';
import { copyWindow, planWindow, windowSize } from '../lib/copier';
import { readCopied, writePlan, type ReplayPlan } from '../lib/state';

jest.setTimeout(120_000);

describe('copyWindow on a real broker', () => {
  const prefix = `${uniqueName('replay')}.`;
  const live = `${prefix}ocr.requests`;
  const target = `${prefix}replay.r1.ocr.requests`;
  const runId = 'r1';
  const group = copierGroup(prefix, runId);
  const stateDir = mkdtempSync(join(tmpdir(), 'conveyor-replay-'));
  const kafka = testKafka('conveyor-replay-test');
  let producer: Producer;
  const now = Date.now();
  const since = new Date(now - 3_600_000);
  const until = new Date(now - 60_000);

  const send = (id: string | undefined, at: number, extra: Record<string, string> = {}) =>
    producer.send({
      topic: live,
      acks: -1,
      messages: [
        {
          key: id ?? null,
          value: Buffer.from(`image of ${id ?? 'nobody'}`),
          timestamp: String(at),
          headers: { ...(id ? { ce_id: id } : {}), ce_type: 'conveyor.ocr.request.v1', 'content-type': 'image/png', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', ...extra },
        },
      ],
    });

  beforeAll(async () => {
    await withAdmin((admin) => createTopics(admin, [{ topic: live, numPartitions: 2 }, { topic: target, numPartitions: 2 }]));
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await send('before-1', now - 7_200_000);
    await send('before-2', now - 7_000_000);
    for (let i = 0; i < 5; i++) await send(`in-${i}`, now - 1_800_000 + i * 1000, { 'x-tenant': `t${i}` });
    await send('x'.repeat(254), now - 1_700_000);
    await send(undefined, now - 1_600_000);
    await send('after-1', now - 30_000);
  });

  afterAll(async () => {
    await producer?.disconnect();
    await withAdmin((admin) => deleteGroups(admin, [group]));
    await deleteTopicsWithPrefix(prefix);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('copies the window once, stopped after the first chunk and resumed', async () => {
    const partitions = await withAdmin((admin) => planWindow(admin, live, { since, until }));
    expect(partitions.map((p) => p.partition)).toEqual([0, 1]);
    expect(windowSize(partitions)).toBe(7);
    const plan: ReplayPlan = {
      version: 1,
      runId,
      pipeline: 'ocr',
      liveTopic: live,
      replayTopicPrefix: `${prefix}replay.r1.`,
      replayTopic: target,
      group,
      since: since.toISOString(),
      until: until.toISOString(),
      pipelineVersion: null,
      set: {},
      startsStages: false,
      partitions,
      createdAt: new Date().toISOString(),
    };
    writePlan(stateDir, plan);

    const stop = new AbortController();
    const first = await copyWindow({ kafka, plan, stateDir, signal: stop.signal, chunkMessages: 2, onCopied: () => stop.abort() });
    expect(first.completed).toBe(false);
    expect(first.handled).toBe(2);
    expect(readCopied(stateDir, runId)).toHaveLength(2);

    const second = await copyWindow({ kafka, plan, stateDir, chunkMessages: 2 });
    expect(second).toEqual({ completed: true, handled: 5 });
    const third = await copyWindow({ kafka, plan, stateDir });
    expect(third).toEqual({ completed: true, handled: 0 });

    const entries = readCopied(stateDir, runId);
    expect(entries.map((e) => e.original).sort()).toEqual(['', 'in-0', 'in-1', 'in-2', 'in-3', 'in-4', 'x'.repeat(254)]);
    expect(entries.find((e) => e.original === '')?.error).toMatch(/no id/);
    expect(entries.find((e) => e.original.startsWith('xxx'))?.error).toMatch(/257 characters, over the 256/);

    // Five copies on the replay topic, each once: nothing was sent twice.
    const written = await withAdmin((admin) => admin.fetchTopicOffsets(target));
    expect(written.reduce((sum, p) => sum + Number(p.high), 0)).toBe(5);
    const copies = await consumeMessages({ topic: target, count: 5, kafka });
    const ids = copies.map((m) => String(m.headers['ce_id'])).sort();
    expect(ids).toEqual(['r1.in-0', 'r1.in-1', 'r1.in-2', 'r1.in-3', 'r1.in-4']);
    for (const m of copies) {
      const original = String(m.headers['conveyor-replay-of']);
      expect(m.key?.toString()).toBe(`r1.${original}`);
      expect(m.value?.toString()).toBe(`image of ${original}`);
      expect(String(m.headers['conveyor-replay-run'])).toBe('r1');
      expect(String(m.headers['x-tenant'])).toBe(`t${original.slice(3)}`);
      expect(String(m.headers['content-type'])).toBe('image/png');
      expect(m.headers['traceparent']).toBeUndefined();
    }
    // The copier's progress is its group's committed offsets: at the end of the window.
    const committed = await withAdmin((admin) => admin.fetchOffsets({ groupId: group, topics: [live] }));
    expect(committed[0].partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset)).toEqual(partitions.map((p) => p.end));
  });
});
