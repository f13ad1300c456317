import { announcedRedisKey, failedResultEnvelope, resultRedisKey, type ResultEnvelope } from '@conveyor/contracts';
import { definePipeline, stageBinding } from '@conveyor/pipeline';
import { runWithVersions } from '@conveyor/stage-runtime';
import { redisUrl, uniqueName } from '@conveyor/testing';
import Redis from 'ioredis';
import { publishResult } from './announce';
import { FailedResultHook } from './failed-result.hook';
import { ResultStore } from './result-store';
import type { PipelineStageContext } from './tokens';

/** The effectively-once core against the machine's real Redis: first write wins, announced once. */
describe('ResultStore and FailedResultHook (real Redis)', () => {
  const prefix = `${uniqueName('rs')}:result:`;
  let redis: Redis;
  let store: ResultStore;
  const ok = (id: string, text: string): ResultEnvelope => ({ schema: 'conveyor.t.result.v1', id, status: 'ok', timings: {}, completedAt: new Date().toISOString(), text });

  beforeAll(() => {
    redis = new Redis(redisUrl());
    store = new ResultStore(redis, 60, prefix);
  });

  afterAll(async () => {
    const keys = await redis.keys(`*${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('keeps the first result of a request and announces it until the announcement is acknowledged', async () => {
    const id = uniqueName('req');
    const first = await publishResult(ok(id, 'first'), store);
    expect(first?.topic).toBe('results');
    expect(JSON.parse(first!.value!.toString())).toMatchObject({ text: 'first' });

    // Redelivered before the results topic acknowledged: the stored (first) result is announced again, not the new one.
    const again = await publishResult(ok(id, 'second'), store);
    expect(JSON.parse(again!.value!.toString())).toMatchObject({ text: 'first' });

    await again!.onAcknowledged!();
    expect(await redis.exists(announcedRedisKey(id, prefix))).toBe(1);
    expect(await publishResult(ok(id, 'third'), store)).toBeUndefined();
    expect(await store.get(id)).toMatchObject({ text: 'first' });
    expect(await redis.ttl(resultRedisKey(id, prefix))).toBeGreaterThan(0);
  });

  it('answers a dead letter with the pipeline’s failed result, once, and leaves an ok result alone', async () => {
    const pipeline = definePipeline({
      name: 't',
      description: 't',
      topics: { requests: {}, results: {} },
      input: { topic: 'requests', eventType: 'conveyor.t.request.v1', contentTypes: ['image/png'] },
      output: { topic: 'results', resultSchema: 'conveyor.t.result.v1', redisKeyPrefix: prefix, failedFields: { boxes: [] } },
      stages: [{ name: 's', app: 's', input: 'requests', output: 'results' }],
    });
    const context: PipelineStageContext = { pipeline, stage: pipeline.stages[0], binding: stageBinding(pipeline, 's'), resultTtlSeconds: 60 };
    const hook = new FailedResultHook(store, context);
    const event = (requestId: string | undefined) => ({
      requestId,
      origin: { topic: 't.requests', partition: 0, offset: '7' },
      error: { code: 'UNDECODABLE_IMAGE', message: 'not an image', retriable: false },
      stage: 's',
      attempts: 1,
      timings: { s: 3 },
      versions: [{ stage: 's', version: '1.2.3', configHash: 'abcdef012345', models: [] }],
    });

    const id = uniqueName('bad');
    const output = await hook.onDeadLetter(event(id));
    const failed = JSON.parse((output as { value: Buffer }).value.toString());
    expect(failed).toEqual(
      failedResultEnvelope('conveyor.t.result.v1', id, { code: 'UNDECODABLE_IMAGE', message: 'not an image', stage: 's' }, { s: 3 }, { boxes: [] }, new Date(failed.completedAt), [
        { stage: 's', version: '1.2.3', configHash: 'abcdef012345', models: [] },
      ]),
    );
    expect(failed.versions).toEqual([{ stage: 's', version: '1.2.3', configHash: 'abcdef012345', models: [] }]);
    expect(await store.get(id)).toEqual(failed);

    const done = uniqueName('done');
    await publishResult(ok(done, 'read'), store).then((o) => o?.onAcknowledged?.());
    expect(await hook.onDeadLetter(event(done))).toBeUndefined();
    expect(await store.get(done)).toMatchObject({ status: 'ok', text: 'read' });

    expect(await hook.onDeadLetter(event(undefined))).toBeUndefined();
    expect(await hook.onDeadLetter(event('has spaces'))).toBeUndefined();
  });

  it('records the versions of the message being handled in a result that has none, and keeps given ones', async () => {
    const versions = [
      { stage: 'a', version: '0.1.0', configHash: '0123456789ab', models: [] },
      { stage: 'b', version: '0.1.0', configHash: 'ba9876543210', models: [{ name: 'm.onnx', sha256: 'aaaaaaaaaaaa' }] },
    ];
    const id = uniqueName('ver');
    const other = uniqueName('ver-other');
    const announced = await runWithVersions(new Map([[id, versions]]), async () => {
      const own = await publishResult(ok(id, 'v'), store);
      // Another request's result stored meanwhile: not this message's versions.
      await publishResult(ok(other, 'w'), store);
      return own;
    });
    expect(JSON.parse(announced!.value!.toString()).versions).toEqual(versions);
    expect((await store.get(id))?.versions).toEqual(versions);
    expect((await store.get(other))?.versions).toBeUndefined();

    const given = uniqueName('ver-given');
    const mine = [{ stage: 'z', version: '9', configHash: 'ffffffffffff', models: [] }];
    await runWithVersions(new Map([[given, versions]]), () => store.storeOnce({ ...ok(given, 'g'), versions: mine }));
    expect((await store.get(given))?.versions).toEqual(mine);
  });
});
