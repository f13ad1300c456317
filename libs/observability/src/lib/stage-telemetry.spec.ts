import type { KafkaHeaders } from '@conveyor/contracts';
import type { MessageOrigin, StageMessage } from '@conveyor/stage-runtime';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { traceLogMixin } from './log-mixin';
import { sampleValue } from './prometheus-text.test-support';
import { contextOfMessage, withSpan } from './spans';
import { StageTelemetry } from './stage-telemetry';
import { startTelemetry, type TelemetryHandle } from './telemetry';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const UPSTREAM_SPAN_ID = '00f067aa0ba902b7';
const traceparent = (traceId: string, spanId: string) => `00-${traceId}-${spanId}-01`;

const exporter = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor({ exporter });
let handle: TelemetryHandle;
let finished: ReadableSpan[] = [];
/** SimpleSpanProcessor exports asynchronously (after resource detection): wait for it. */
const flush = async () => {
  await processor.forceFlush();
  finished = exporter.getFinishedSpans();
};
const quiet = { info: () => undefined, warn: () => undefined };

beforeAll(() => {
  handle = startTelemetry({ serviceName: 'test', env: {}, logger: quiet, spanProcessors: [processor] });
});
afterAll(() => handle.shutdown());
beforeEach(() => {
  exporter.reset();
  finished = [];
});

const spans = (): ReadableSpan[] => finished;
const named = (name: string): ReadableSpan[] => spans().filter((s) => s.name === name);
const one = (name: string): ReadableSpan => {
  const found = named(name);
  if (found.length !== 1) throw new Error(`expected one span ${name}, got ${found.length}: ${spans().map((s) => s.name).join(', ')}`);
  return found[0];
};
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

function headers(requestId: string, traceId = TRACE_ID, spanId = UPSTREAM_SPAN_ID): KafkaHeaders {
  return { ce_id: Buffer.from(requestId), traceparent: Buffer.from(traceparent(traceId, spanId)) };
}

function message(origin: MessageOrigin, hdrs: KafkaHeaders, id: string): StageMessage {
  return {
    id,
    origin,
    headers: hdrs,
    event: { specversion: '1.0', id, source: '/test', type: 'conveyor.test.v1' },
    value: Buffer.alloc(0),
    timings: {},
    versions: [],
    attempt: 1,
    tensors: () => {
      throw new Error('no tensors in this test');
    },
  };
}

describe('StageTelemetry tracing', () => {
  it('uses the recording SDK the test registered', () => {
    expect(handle.exporting).toBe(true);
  });

  it('continues the upstream trace: consume → decode, produce, with the produce span in the outgoing traceparent', async () => {
    const telemetry = new StageTelemetry('features');
    const origin = { topic: 'ocr.preprocessed', partition: 2, offset: '41' };
    let outgoing: Record<string, string> = {};
    await telemetry.aroundMessage(headers('req-1'), origin, async () => {
      await telemetry.aroundStep('decode', { 'messaging.message.body.size': 10 }, async () => undefined);
      await withSpan('detection run', {}, async () => undefined);
      await telemetry.aroundStep('produce', { 'messaging.batch.message_count': 1 }, async () => {
        outgoing = telemetry.outgoingTraceHeaders();
      });
    });
    await flush();

    const consume = one('ocr.preprocessed process');
    const decode = one('decode');
    const model = one('detection run');
    const produce = one('produce');
    expect(consume.spanContext().traceId).toBe(TRACE_ID);
    expect(parentOf(consume)).toBe(UPSTREAM_SPAN_ID);
    expect(consume.parentSpanContext?.isRemote).toBe(true);
    expect(consume.kind).toBe(SpanKind.CONSUMER);
    expect(consume.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'ocr.preprocessed',
      'messaging.kafka.destination.partition': 2,
      'messaging.kafka.message.offset': 41,
      'conveyor.stage': 'features',
      'conveyor.request_id': 'req-1',
    });
    for (const child of [decode, model, produce]) {
      expect(child.spanContext().traceId).toBe(TRACE_ID);
      expect(parentOf(child)).toBe(consume.spanContext().spanId);
    }
    expect(decode.attributes['messaging.message.body.size']).toBe(10);
    expect(produce.kind).toBe(SpanKind.PRODUCER);
    expect(outgoing).toEqual({ traceparent: traceparent(TRACE_ID, produce.spanContext().spanId) });
  });

  it('starts a new trace when the message has no traceparent', async () => {
    const telemetry = new StageTelemetry('preprocess');
    await telemetry.aroundMessage({ ce_id: 'req-2' }, { topic: 'ocr.requests', partition: 0, offset: '0' }, async () => undefined);
    await flush();
    const consume = one('ocr.requests process');
    expect(consume.parentSpanContext).toBeUndefined();
    expect(consume.spanContext().traceId).not.toBe(TRACE_ID);
  });

  it('marks the consume span failed when the work throws, and rethrows', async () => {
    const telemetry = new StageTelemetry('features');
    await expect(
      telemetry.aroundMessage(headers('req-3'), { topic: 't', partition: 0, offset: '1' }, async () => {
        await telemetry.aroundStep('produce', {}, async () => {
          throw new Error('broker gone');
        });
      }),
    ).rejects.toThrow('broker gone');
    await flush();
    for (const span of [one('t process'), one('produce')]) {
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'broker gone' });
      expect(span.events.map((e) => e.name)).toContain('exception');
    }
  });

  it('records a dead letter on the consume span', async () => {
    const telemetry = new StageTelemetry('features');
    const origin = { topic: 't', partition: 0, offset: '2' };
    await telemetry.aroundMessage(headers('req-4'), origin, async () => {
      const error = { code: 'BAD_TENSOR', message: 'no header', retriable: false } as never;
      telemetry.messageRetried(origin, error, 1);
      await telemetry.aroundStep('dead-letter', { 'conveyor.error_code': 'BAD_TENSOR' }, async () => undefined);
      telemetry.messageDeadLettered(origin, error);
    });
    await flush();
    const consume = one('t process');
    expect(consume.status).toEqual({ code: SpanStatusCode.ERROR, message: 'BAD_TENSOR: no header' });
    expect(consume.events.map((e) => [e.name, e.attributes])).toEqual([['retry', { 'conveyor.attempt': 1, 'conveyor.error_code': 'BAD_TENSOR' }]]);
    expect(parentOf(one('dead-letter'))).toBe(consume.spanContext().spanId);
  });

  it('gives each request of a batch its own span in its own trace, sharing start, end and batch id', async () => {
    const telemetry = new StageTelemetry('inference');
    const traceIds = ['11111111111111111111111111111111', '22222222222222222222222222222222', '33333333333333333333333333333333'];
    const messages = traceIds.map((traceId, i) =>
      message({ topic: 'ocr.regions', partition: 0, offset: String(10 + i) }, headers(`req-${i}`, traceId), `req-${i}`),
    );
    // The runtime: each message in its own consume span, all waiting for one batch run.
    let release!: () => void;
    const batchStarted = new Promise<void>((resolve) => (release = resolve));
    let mixinInBatch: ReturnType<typeof traceLogMixin> | undefined;
    let runs = 0;
    const consumed = messages.map((m) =>
      telemetry.aroundMessage(m.headers, m.origin, async () => {
        await batchStarted;
      }),
    );
    // The batch handler runs in whichever message's context started the batch (here: none).
    await telemetry.withSpansPerMessage(messages, 'recognize', { 'conveyor.lines': 5 }, async () => {
      runs += 1;
      mixinInBatch = traceLogMixin();
      // Lines of requests 0 and 2 only.
      await telemetry.modelRun('recognition', 'cpu', async () => undefined, [messages[0], messages[2], messages[0]]);
    });
    release();
    await Promise.all(consumed);
    await flush();

    expect(runs).toBe(1);
    const batch = named('recognize');
    expect(batch).toHaveLength(3);
    const batchIds = new Set(batch.map((s) => s.attributes['conveyor.batch.id']));
    expect(batchIds.size).toBe(1);
    expect(new Set(batch.map((s) => s.startTime.join()))).toEqual(new Set([batch[0].startTime.join()]));
    expect(new Set(batch.map((s) => s.endTime.join()))).toEqual(new Set([batch[0].endTime.join()]));
    traceIds.forEach((traceId, i) => {
      const consume = named('ocr.regions process').find((s) => s.spanContext().traceId === traceId)!;
      const own = batch.find((s) => s.spanContext().traceId === traceId)!;
      expect(parentOf(own)).toBe(consume.spanContext().spanId);
      expect(own.attributes).toMatchObject({ 'conveyor.batch.size': 3, 'conveyor.request_id': `req-${i}`, 'conveyor.lines': 5 });
    });
    // The model run served requests 0 and 2: a span in each of their traces, under their batch span.
    const runsSpans = named('recognition run');
    expect(runsSpans.map((s) => s.spanContext().traceId).sort()).toEqual([traceIds[0], traceIds[2]]);
    for (const run of runsSpans) {
      const own = batch.find((s) => s.spanContext().traceId === run.spanContext().traceId)!;
      expect(parentOf(run)).toBe(own.spanContext().spanId);
      expect(run.attributes).toMatchObject({ 'conveyor.model': 'recognition', 'conveyor.execution_provider': 'cpu', 'conveyor.batch.size': 2 });
    }
    expect(mixinInBatch).toEqual({ batch_id: [...batchIds][0] });
  });

  it('fans withSpan out to every request inside a batch step', async () => {
    const telemetry = new StageTelemetry('inference');
    const messages = ['aa', 'bb'].map((c, i) => message({ topic: 'x', partition: 1, offset: String(i) }, headers(`r${i}`, c.repeat(16)), `r${i}`));
    await telemetry.withSpansPerMessage(messages, 'batch', {}, () => withSpan('step', {}, () => undefined));
    await flush();
    expect(named('step').map((s) => s.spanContext().traceId).sort()).toEqual(['aa'.repeat(16), 'bb'.repeat(16)]);
  });

  it('finds a message outside its consume span through its headers (same trace)', () => {
    const m = message({ topic: 'y', partition: 0, offset: '5' }, headers('r-9'), 'r-9');
    expect(trace.getSpanContext(contextOfMessage(m))?.spanId).toBe(UPSTREAM_SPAN_ID);
  });

  it('forgets a message once it settled', async () => {
    const telemetry = new StageTelemetry('inference');
    const m = message({ topic: 'z', partition: 0, offset: '7' }, headers('r-7'), 'r-7');
    let during: string | undefined;
    await telemetry.aroundMessage(m.headers, m.origin, async () => {
      during = trace.getSpanContext(contextOfMessage(m))?.spanId;
    });
    await flush();
    expect(during).toBe(one('z process').spanContext().spanId);
    expect(trace.getSpanContext(contextOfMessage(m))?.spanId).toBe(UPSTREAM_SPAN_ID);
  });

  it('runs the work exactly once even when tracing setup fails', async () => {
    const telemetry = new StageTelemetry('features');
    let runs = 0;
    // A header object whose reads throw: extraction fails before any span exists.
    const hostile = new Proxy({}, { ownKeys: () => { throw new Error('boom'); }, get: () => { throw new Error('boom'); } }) as KafkaHeaders;
    await expect(telemetry.aroundMessage(hostile, { topic: 't', partition: 0, offset: '3' }, async () => (runs += 1))).resolves.toBe(1);
    expect(runs).toBe(1);
  });
});

describe('traceLogMixin', () => {
  it('gives trace, span and request ids inside a message and nothing outside', async () => {
    const telemetry = new StageTelemetry('postprocess');
    expect(traceLogMixin()).toEqual({});
    let inside: ReturnType<typeof traceLogMixin> = {};
    let inStep: ReturnType<typeof traceLogMixin> = {};
    await telemetry.aroundMessage(headers('req-log'), { topic: 'ocr.recognized', partition: 0, offset: '1' }, async () => {
      inside = traceLogMixin();
      await telemetry.aroundStep('decode', {}, async () => {
        inStep = traceLogMixin();
      });
    });
    await flush();
    expect(inside).toEqual({ trace_id: TRACE_ID, span_id: one('ocr.recognized process').spanContext().spanId, request_id: 'req-log' });
    expect(inStep).toEqual({ trace_id: TRACE_ID, span_id: one('decode').spanContext().spanId, request_id: 'req-log' });
    expect(traceLogMixin()).toEqual({});
  });
});

describe('StageTelemetry metrics', () => {
  const origin = { topic: 'ocr.regions', partition: 0, offset: '1' };
  const failure = (code: string) => ({ code, message: code, retriable: true }) as never;

  it('moves counters, histograms and gauges on the runtime notifications', async () => {
    const telemetry = new StageTelemetry('inference');
    telemetry.messageReceived(origin);
    telemetry.messageReceived(origin);
    telemetry.messageRetried(origin, failure('REDIS_DOWN'), 1);
    telemetry.messageRetried(origin, failure('REDIS_DOWN'), 2);
    telemetry.messageDeadLettered(origin, failure('REDIS_DOWN'));
    telemetry.messageSettled(origin, 'ok', 120, 1);
    telemetry.messageSettled(origin, 'dead-lettered', 3_000, 0);
    telemetry.outputsProduced('ocr.recognized', 3);
    telemetry.batchRun('ocr.regions', 5, 40);
    telemetry.inFlightChanged(4, 2);
    telemetry.partitionLag('ocr.regions', 3, 17);
    telemetry.clientError('redis');
    telemetry.deadLetterHookFailed(origin, new Error('redis down'));
    telemetry.observeModelRun('recognition', 'cuda', 0.02);
    await telemetry.modelRun('recognition', 'cpu', async () => undefined);

    telemetry.partitionsAssigned({ 'ocr.regions': [0, 1] });
    telemetry.partitionsAssigned({ 'ocr.regions': [2, 3] });

    const text = await telemetry.metricsText();
    const v = (name: string, labels: Record<string, string> = {}) => sampleValue(text, name, { stage: 'inference', ...labels });
    expect(v('conveyor_messages_consumed_total', { topic: 'ocr.regions' })).toBe(2);
    expect(v('conveyor_messages_failed_total', { topic: 'ocr.regions', code: 'REDIS_DOWN' })).toBe(3);
    expect(v('conveyor_messages_dead_lettered_total', { topic: 'ocr.regions', code: 'REDIS_DOWN' })).toBe(1);
    expect(v('conveyor_messages_produced_total', { topic: 'ocr.recognized' })).toBe(3);
    expect(v('conveyor_stage_duration_seconds_count', { topic: 'ocr.regions', outcome: 'ok' })).toBe(1);
    expect(v('conveyor_stage_duration_seconds_bucket', { topic: 'ocr.regions', outcome: 'ok', le: '0.1' })).toBe(0);
    expect(v('conveyor_stage_duration_seconds_bucket', { topic: 'ocr.regions', outcome: 'ok', le: '0.25' })).toBe(1);
    expect(v('conveyor_stage_duration_seconds_sum', { topic: 'ocr.regions', outcome: 'dead-lettered' })).toBe(3);
    expect(v('conveyor_batch_size_bucket', { topic: 'ocr.regions', le: '4' })).toBe(0);
    expect(v('conveyor_batch_size_bucket', { topic: 'ocr.regions', le: '8' })).toBe(1);
    expect(v('conveyor_batch_size_sum', { topic: 'ocr.regions' })).toBe(5);
    expect(v('conveyor_in_flight')).toBe(4);
    expect(v('conveyor_queue_depth')).toBe(2);
    expect(v('conveyor_consumer_lag', { topic: 'ocr.regions', partition: '3' })).toBe(17);
    // Assignment: one series per owned partition, replaced (not merged) at each rebalance.
    expect(v('conveyor_assigned_partition', { topic: 'ocr.regions', partition: '0' })).toBeUndefined();
    expect(v('conveyor_assigned_partition', { topic: 'ocr.regions', partition: '2' })).toBe(1);
    expect(v('conveyor_assigned_partition', { topic: 'ocr.regions', partition: '3' })).toBe(1);
    expect(v('conveyor_client_errors_total', { client: 'redis' })).toBe(1);
    expect(v('conveyor_dead_letter_hook_failures_total', { topic: 'ocr.regions' })).toBe(1);
    expect(v('conveyor_model_run_seconds_count', { model: 'recognition', provider: 'cuda' })).toBe(1);
    expect(v('conveyor_model_run_seconds_bucket', { model: 'recognition', provider: 'cuda', le: '0.025' })).toBe(1);
    expect(v('conveyor_model_run_seconds_count', { model: 'recognition', provider: 'cpu' })).toBe(1);
    expect(v('conveyor_up')).toBe(1);
    // Default process metrics on the same registry, with the stage label.
    expect(v('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(v('nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('keeps stages apart: one registry each', async () => {
    const a = new StageTelemetry('preprocess');
    const b = new StageTelemetry('features');
    a.messageReceived(origin);
    expect(sampleValue(await a.metricsText(), 'conveyor_messages_consumed_total', { topic: 'ocr.regions' })).toBe(1);
    expect(sampleValue(await b.metricsText(), 'conveyor_messages_consumed_total', { topic: 'ocr.regions' })).toBeUndefined();
  });

  it('counts lag refresh failures as kafka client errors and never throws', async () => {
    const telemetry = new StageTelemetry('features');
    const warnings: string[] = [];
    const logger = { info: () => undefined, debug: () => undefined, error: () => undefined, warn: (_f: unknown, m?: string) => void warnings.push(String(m)) };
    const withLogger = new StageTelemetry('features', logger as never);
    for (const t of [telemetry, withLogger]) {
      t.consuming({ stage: 'features', groupId: 'g', topics: ['t'], brokers: ['127.0.0.1:1'], clientId: 'c' });
      await t.refreshConsumerLag();
      await t.refreshConsumerLag();
      t.stopped();
      await t.onApplicationShutdown();
      expect(sampleValue(await t.metricsText(), 'conveyor_client_errors_total', { client: 'kafka' })).toBeGreaterThanOrEqual(2);
    }
    expect(warnings).toHaveLength(1);
  });
});
