import { CloudEventHeader, headerString, newRequestId, toCloudEventHeaders } from '@conveyor/contracts';
import { startStage, type RunningStage, type StageRuntimeSettings } from '@conveyor/stage-runtime';
import { kafkaBrokers, redisUrl, uniqueName, waitFor } from '@conveyor/testing';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { Kafka, logLevel, type Admin, type Consumer, type KafkaMessage, type Producer } from 'kafkajs';
import pino from 'pino';
import { Writable } from 'node:stream';
import { traceLogMixin } from '../lib/log-mixin';
import { withSpan } from '../lib/spans';
import { sampleValue } from '../lib/prometheus-text.test-support';
import { StageTelemetry } from '../lib/stage-telemetry';
import { startTelemetry, type TelemetryHandle } from '../lib/telemetry';
import { echoModule } from './echo-stage.test-support';

jest.setTimeout(120_000);

const traceIdOf = (n: number) => n.toString(16).padStart(32, 'a');
const UPSTREAM_SPAN_ID = '00f067aa0ba902b7';

describe('StageTelemetry in a running stage (real Kafka and Redis)', () => {
  const prefix = `${uniqueName('obs')}.`;
  const topics = ['echo.in', 'echo.in.dlq', 'echo.batch', 'echo.batch.dlq', 'echo.out'].map((t) => prefix + t);
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor({ exporter });
  const logLines: Array<Record<string, unknown>> = [];
  const outputs: KafkaMessage[] = [];
  let telemetryHandle: TelemetryHandle;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let outConsumer: Consumer;
  let stage: RunningStage | undefined;
  let finished: ReadableSpan[] = [];

  const settings = (): StageRuntimeSettings => ({
    stage: 'echo',
    brokers: kafkaBrokers(),
    redisUrl: redisUrl(),
    topicPrefix: prefix,
    logLevel: 'info',
    httpHost: '127.0.0.1',
    httpPort: 0,
    maxInFlight: 8,
    claimCheckThresholdBytes: 512 * 1024,
    claimTtlSeconds: 60,
    maxMessageBytes: 1_000_000,
    shutdownGraceMs: 10_000,
    retry: { maxAttempts: 2, initialBackoffMs: 20, maxBackoffMs: 100 },
  });

  const send = async (topic: string, text: string, traceId: string) => {
    const id = newRequestId();
    await producer.send({
      topic: prefix + topic,
      acks: -1,
      messages: [
        {
          key: id,
          value: Buffer.from(text),
          headers: toCloudEventHeaders({
            specversion: '1.0',
            id,
            source: '/test',
            type: 'conveyor.test.text.v1',
            contentType: 'text/plain',
            traceparent: `00-${traceId}-${UPSTREAM_SPAN_ID}-01`,
          }),
        },
      ],
    });
    return id;
  };

  const outputFor = (id: string) => outputs.find((m) => headerString(m.headers, CloudEventHeader.id) === id);
  const flush = async () => {
    await processor.forceFlush();
    finished = exporter.getFinishedSpans();
  };
  const inTrace = (traceId: string) => finished.filter((s) => s.spanContext().traceId === traceId);
  const only = (spans: ReadableSpan[], name: string) => {
    const found = spans.filter((s) => s.name === name);
    if (found.length !== 1) throw new Error(`expected one ${name}, got ${found.length} of ${spans.map((s) => s.name).join(', ')}`);
    return found[0];
  };
  /** Spans are exported when they end: wait until the one that ends last is there. */
  const waitForSpan = async (traceId: string, name: string, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await flush();
      if (inTrace(traceId).some((s) => s.name === name)) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for span ${name}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const metrics = async () => (await fetch(`http://127.0.0.1:${stage!.httpPort}/metrics`)).text();

  beforeAll(async () => {
    telemetryHandle = startTelemetry({ serviceName: 'echo', env: {}, logger: { info: () => undefined, warn: () => undefined }, spanProcessors: [processor] });
    kafka = new Kafka({ clientId: 'observability-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: 2 })) });
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
    outConsumer = kafka.consumer({ groupId: uniqueName('out') });
    await outConsumer.connect();
    await outConsumer.subscribe({ topic: prefix + 'echo.out', fromBeginning: true });
    await outConsumer.run({ eachMessage: async ({ message }) => void outputs.push(message) });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const logger = pino({ level: 'info', base: { service: 'echo' }, mixin: traceLogMixin }, sink);
    stage = await startStage(echoModule(settings(), logger), { observer: StageTelemetry });
    await waitFor('readiness', () => stage!.transport.isReady);
  });

  afterAll(async () => {
    await stage?.stop();
    await outConsumer?.disconnect();
    await producer?.disconnect();
    await admin?.deleteTopics({ topics }).catch(() => undefined);
    await admin?.disconnect();
    await telemetryHandle?.shutdown();
  });

  it('continues the request trace: consume → decode, model run, produce; the output carries the produce span', async () => {
    const traceId = traceIdOf(1);
    const id = await send('echo.in', 'hello', traceId);
    await waitFor('output', () => outputFor(id) !== undefined);
    await waitForSpan(traceId, `${prefix}echo.in process`);
    const spans = inTrace(traceId);
    const consume = only(spans, `${prefix}echo.in process`);
    const decode = only(spans, 'decode');
    const model = only(spans, 'echo-model run');
    const produce = only(spans, 'produce');
    expect(consume.parentSpanContext?.spanId).toBe(UPSTREAM_SPAN_ID);
    expect(consume.kind).toBe(SpanKind.CONSUMER);
    expect(consume.attributes).toMatchObject({ 'conveyor.request_id': id, 'conveyor.stage': 'echo', 'messaging.consumer.group.name': `${prefix}conveyor-echo` });
    for (const child of [decode, model, produce]) expect(child.parentSpanContext?.spanId).toBe(consume.spanContext().spanId);
    const output = outputFor(id)!;
    expect(output.value?.toString()).toBe('HELLO');
    expect(headerString(output.headers, 'traceparent')).toBe(`00-${traceId}-${produce.spanContext().spanId}-01`);
    // The handler's log line knows its request and trace.
    expect(logLines.find((l) => l['msg'] === 'echoed' && l['request_id'] === id)).toMatchObject({ trace_id: traceId });
  });

  it('gives every request of a batch its own batch span in its own trace, tied by the batch id', async () => {
    const traceIds = [2, 3, 4].map(traceIdOf);
    const ids = await Promise.all(traceIds.map((t, i) => send('echo.batch', `b${i}`, t)));
    await waitFor('batch outputs', () => ids.every((id) => outputFor(id) !== undefined));
    for (const traceId of traceIds) await waitForSpan(traceId, `${prefix}echo.batch process`);
    const batchSpans = traceIds.map((traceId) => {
      const spans = inTrace(traceId);
      const consume = only(spans, `${prefix}echo.batch process`);
      const batch = only(spans, 'echo batch');
      expect(batch.parentSpanContext?.spanId).toBe(consume.spanContext().spanId);
      expect(only(spans, 'echo-model run').parentSpanContext?.spanId).toBe(batch.spanContext().spanId);
      const produce = only(spans, 'produce');
      expect(produce.parentSpanContext?.spanId).toBe(consume.spanContext().spanId);
      return batch;
    });
    // Which batches formed is up to timing; whichever did, a batch of n has n spans sharing its id.
    const byBatch = new Map<unknown, ReadableSpan[]>();
    for (const span of batchSpans) byBatch.set(span.attributes['conveyor.batch.id'], [...(byBatch.get(span.attributes['conveyor.batch.id']) ?? []), span]);
    for (const members of byBatch.values()) {
      for (const span of members) expect(span.attributes['conveyor.batch.size']).toBe(members.length);
      expect(new Set(members.map((m) => m.startTime.join()))).toHaveProperty('size', 1);
    }
    const text = await metrics();
    expect(sampleValue(text, 'conveyor_batch_size_sum', { stage: 'echo', topic: `${prefix}echo.batch` })).toBe(3);
  });

  it('marks a dead-lettered request failed and counts it', async () => {
    const traceId = traceIdOf(5);
    await send('echo.in', '', traceId);
    await waitForSpan(traceId, `${prefix}echo.in process`);
    const spans = inTrace(traceId);
    const consume = only(spans, `${prefix}echo.in process`);
    expect(consume.status).toEqual({ code: SpanStatusCode.ERROR, message: 'EMPTY_INPUT: nothing to echo' });
    expect(only(spans, 'dead-letter').parentSpanContext?.spanId).toBe(consume.spanContext().spanId);
    const text = await metrics();
    expect(sampleValue(text, 'conveyor_messages_dead_lettered_total', { stage: 'echo', topic: `${prefix}echo.in`, code: 'EMPTY_INPUT' })).toBe(1);
  });

  it('serves the stage metrics on GET /metrics, consumer lag from the broker included', async () => {
    await stage!.app.get(StageTelemetry).refreshConsumerLag();
    const response = await fetch(`http://127.0.0.1:${stage!.httpPort}/metrics`);
    expect(response.status).toBe(200);
    // Prometheus' text format 0.0.4 (Express reorders the parameters; their order carries no meaning).
    const contentType = response.headers.get('content-type') ?? '';
    expect(contentType.split(';')[0]).toBe('text/plain');
    expect(contentType).toContain('version=0.0.4');
    const text = await response.text();
    const v = (name: string, labels: Record<string, string> = {}) => sampleValue(text, name, { stage: 'echo', ...labels });
    expect(v('conveyor_messages_consumed_total', { topic: `${prefix}echo.in` })).toBe(2);
    expect(v('conveyor_messages_consumed_total', { topic: `${prefix}echo.batch` })).toBe(3);
    expect(v('conveyor_messages_produced_total', { topic: `${prefix}echo.out` })).toBe(4);
    expect(v('conveyor_stage_duration_seconds_count', { topic: `${prefix}echo.in`, outcome: 'ok' })).toBe(1);
    expect(v('conveyor_stage_duration_seconds_count', { topic: `${prefix}echo.in`, outcome: 'dead-lettered' })).toBe(1);
    expect(v('conveyor_model_run_seconds_count', { model: 'echo-model', provider: 'cpu' })).toBeGreaterThanOrEqual(2);
    expect(v('conveyor_in_flight')).toBe(0);
    expect(v('conveyor_up')).toBe(1);
    // Every message consumed and committed: no lag on any partition of either input.
    for (const topic of [`${prefix}echo.in`, `${prefix}echo.batch`]) {
      for (const partition of ['0', '1']) expect(v('conveyor_consumer_lag', { topic, partition })).toBe(0);
    }
    expect(v('conveyor_client_errors_total', { client: 'kafka' })).toBeUndefined();
  });

  it('shuts telemetry down with the stage (the last spans flushed, later ones dropped)', async () => {
    await stage!.stop();
    stage = undefined;
    exporter.reset();
    await withSpan('after shutdown', {}, () => undefined);
    await flush();
    expect(finished).toEqual([]);
  });
});
