import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resultRedisKeys } from '@conveyor/contracts';
import { generateCorpus } from '@conveyor/corpus';
import { OcrClient } from '@conveyor/ocr-client';
import type { LocalPlatform } from '@conveyor/platform';
import { startTestPlatform } from './test-platform.test-support';
import { deleteTopicsWithPrefix, kafkaBrokers, redisUrl, uniqueName } from '@conveyor/testing';
import Redis from 'ioredis';

/**
 * Observability end to end: the four stages export their spans over real
 * OTLP/HTTP to a receiver this test runs, and serve Prometheus metrics.
 */
jest.setTimeout(600_000);

const REQUESTS = 6;
const STAGES = ['preprocess', 'features', 'inference', 'postprocess'] as const;

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  service: string;
}

interface OtlpJson {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans?: Array<{ spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string }> }>;
  }>;
}

/** A minimal OTLP/HTTP JSON trace receiver (what a collector's otlp receiver does), keeping what it is sent. */
function startReceiver(spans: ReceivedSpan[]): Promise<Server> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpJson;
        for (const rs of body.resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              spans.push({ traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? '', name: s.name, service });
            }
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Sum of a Prometheus counter or histogram series matching the label filter. */
function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('one trace per request across all stages, and stage metrics', () => {
  const prefix = `${uniqueName('obs')}.`;
  const spans: ReceivedSpan[] = [];
  let receiver: Server;
  let platform: LocalPlatform;
  let client: OcrClient;
  const ids: string[] = [];
  const producerSpans = new Map<string, { traceId: string; spanId: string }>();

  beforeAll(async () => {
    receiver = await startReceiver(spans);
    const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    platform = await startTestPlatform(prefix, {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    client = await OcrClient.connect({ brokers: kafkaBrokers(), redisUrl: redisUrl(), topicPrefix: prefix });
  });

  afterAll(async () => {
    await client?.close();
    await platform?.stop();
    receiver?.close();
    const redis = new Redis(redisUrl());
    if (ids.length) await redis.del(...ids.flatMap((id) => resultRedisKeys(id)));
    redis.disconnect();
    await deleteTopicsWithPrefix(prefix);
  });

  it('exports spans over OTLP that form one connected trace per request, producer to postprocess', async () => {
    const corpus = await generateCorpus({ seed: 77, count: REQUESTS, rotatedShare: 0.3 });
    for (const item of corpus.items) {
      // The producer's own span: the trace every stage must continue.
      const traceId = randomBytes(16).toString('hex');
      const spanId = randomBytes(8).toString('hex');
      const { id } = await client.submit(item.data, item.truth.format === 'png' ? 'image/png' : 'image/jpeg', {
        traceparent: `00-${traceId}-${spanId}-01`,
      });
      ids.push(id);
      producerSpans.set(id, { traceId, spanId });
    }
    const results = await client.waitForResults(ids, { timeoutMs: 300_000 });
    expect([...results.values()].every((r) => r.status === 'ok')).toBe(true);

    const spansOf = (traceId: string) => spans.filter((s) => s.traceId === traceId);
    const complete = (traceId: string) => STAGES.every((stage) => spansOf(traceId).some((s) => s.service === `conveyor-ocr-${stage}` && s.name.endsWith(' process')));
    const deadline = Date.now() + 60_000;
    while (![...producerSpans.values()].every((p) => complete(p.traceId)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
    }

    for (const [id, producer] of producerSpans) {
      const trace = spansOf(producer.traceId);
      const services = new Set(trace.map((s) => s.service));
      expect([...services].sort()).toEqual(STAGES.map((s) => `conveyor-ocr-${s}`).sort());
      for (const stage of STAGES) {
        const names = trace.filter((s) => s.service === `conveyor-ocr-${stage}`).map((s) => s.name);
        expect(names).toEqual(expect.arrayContaining([expect.stringMatching(/ process$/), 'decode']));
        if (stage !== 'postprocess' || results.get(id)) expect(names).toContain('produce');
      }
      expect(trace.map((s) => s.name)).toEqual(expect.arrayContaining(['detection+classification run', 'recognition run']));
      // Connected: every span hangs off the producer's span or another span of the same trace.
      const known = new Set([producer.spanId, ...trace.map((s) => s.spanId)]);
      for (const span of trace) expect(known.has(span.parentSpanId)).toBe(true);
      // The first stage's consume span is the child of the producer's span.
      expect(trace.find((s) => s.service === 'conveyor-ocr-preprocess' && s.name.endsWith(' process'))?.parentSpanId).toBe(producer.spanId);
    }
  });

  it('serves Prometheus metrics whose counters and histograms moved with the traffic', async () => {
    const scrape = async (stage: string) => {
      const response = await fetch(`${platform.healthUrls[`ocr-${stage}`]}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/plain');
      return response.text();
    };
    for (const stage of STAGES) {
      const text = await scrape(stage);
      expect(metricValue(text, 'conveyor_messages_consumed_total', { stage })).toBeGreaterThanOrEqual(REQUESTS);
      expect(metricValue(text, 'conveyor_stage_duration_seconds_count', { stage })).toBeGreaterThanOrEqual(REQUESTS);
      expect(metricValue(text, 'conveyor_messages_dead_lettered_total', { stage })).toBe(0);
      expect(text).toMatch(/^process_cpu_seconds_total/m);
      expect(text).toMatch(/^process_resident_memory_bytes/m);
      expect(text).toMatch(/^conveyor_consumer_lag\{/m);
    }
    expect(metricValue(await scrape('preprocess'), 'conveyor_messages_produced_total', { topic: `${prefix}ocr.preprocessed` })).toBeGreaterThanOrEqual(REQUESTS);
    expect(metricValue(await scrape('features'), 'conveyor_model_run_seconds_count', { model: 'detection+classification' })).toBeGreaterThanOrEqual(REQUESTS);
    const inference = await scrape('inference');
    expect(metricValue(inference, 'conveyor_model_run_seconds_count', { model: 'recognition', provider: 'cpu' })).toBeGreaterThan(0);
    expect(metricValue(inference, 'conveyor_batch_size_sum')).toBeGreaterThanOrEqual(REQUESTS);
  });
});
