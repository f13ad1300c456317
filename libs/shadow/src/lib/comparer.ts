import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudEventHeader, headerString } from '@conveyor/contracts';
import { compareResults, parseStoredResult, type ComparisonRow } from '@conveyor/replay';
import type Redis from 'ioredis';
import type { Consumer, Kafka } from 'kafkajs';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ShadowPlan } from './plan';

/**
 * The shadow comparer (docs/architecture.md, "Shadow"): consumes the shadow's
 * results topic as a group of its own, joins each shadow result with the live
 * result of the same request id in Redis (waiting for it: the live pipeline may
 * finish later than the shadow) and records the differences as Prometheus
 * metrics on its own `/metrics`.
 */
export class ShadowMetrics {
  readonly registry = new Registry();
  private readonly labels: { pipeline: string; shadow: string };
  readonly compared: Counter<'pipeline' | 'shadow' | 'outcome'>;
  readonly statusChanged: Counter<'pipeline' | 'shadow'>;
  readonly versionChanges: Counter<'pipeline' | 'shadow' | 'change'>;
  readonly cer: Histogram<'pipeline' | 'shadow'>;
  readonly lineDelta: Histogram<'pipeline' | 'shadow'>;
  readonly confidenceDelta: Histogram<'pipeline' | 'shadow'>;
  readonly latencyDelta: Histogram<'pipeline' | 'shadow'>;
  readonly waiting: Gauge<'pipeline' | 'shadow'>;

  constructor(plan: Pick<ShadowPlan, 'pipeline' | 'name'>) {
    this.labels = { pipeline: plan.pipeline, shadow: plan.name };
    const registers = [this.registry];
    const both = ['pipeline', 'shadow'] as const;
    this.compared = new Counter({
      name: 'conveyor_shadow_compared_total',
      help: 'Shadow results compared with the live result of the same request, by outcome (identical, different, missing-live: no live result within the wait).',
      labelNames: [...both, 'outcome'],
      registers,
    });
    this.statusChanged = new Counter({ name: 'conveyor_shadow_status_changed_total', help: 'Compared requests whose status (ok, failed) differs between live and shadow.', labelNames: both, registers });
    this.versionChanges = new Counter({
      name: 'conveyor_shadow_version_changes_total',
      help: 'Compared requests per stage version, configuration or model difference between live and shadow results.',
      labelNames: [...both, 'change'],
      registers,
    });
    this.cer = new Histogram({
      name: 'conveyor_shadow_text_cer',
      help: "Character error rate of the shadow's text against the live text, per compared request (lines joined by newlines).",
      labelNames: both,
      buckets: [0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1],
      registers,
    });
    this.lineDelta = new Histogram({ name: 'conveyor_shadow_line_count_delta', help: 'Shadow lines minus live lines, per compared request.', labelNames: both, buckets: [-10, -5, -2, -1, 0, 1, 2, 5, 10], registers });
    this.confidenceDelta = new Histogram({
      name: 'conveyor_shadow_confidence_delta',
      help: 'Mean line confidence, shadow minus live, per compared request.',
      labelNames: both,
      buckets: [-0.2, -0.1, -0.05, -0.01, 0, 0.01, 0.05, 0.1, 0.2],
      registers,
    });
    this.latencyDelta = new Histogram({
      name: 'conveyor_shadow_latency_delta_seconds',
      help: "Summed stage timings of the result, shadow minus live, per compared request.",
      labelNames: both,
      buckets: [-1, -0.5, -0.2, -0.1, -0.05, 0, 0.05, 0.1, 0.2, 0.5, 1],
      registers,
    });
    this.waiting = new Gauge({ name: 'conveyor_shadow_waiting_for_live', help: 'Shadow results waiting for the live result of their request.', labelNames: both, registers });
    for (const outcome of ['identical', 'different', 'missing-live']) this.compared.inc({ ...this.labels, outcome }, 0);
    this.statusChanged.inc(this.labels, 0);
    this.waiting.set(this.labels, 0);
  }

  record(row: ComparisonRow): void {
    const l = this.labels;
    this.compared.inc({ ...l, outcome: row.outcome });
    if (row.outcome !== 'identical' && row.outcome !== 'different') return;
    if (row.statusChanged) this.statusChanged.inc(l);
    for (const change of row.versionChanges) this.versionChanges.inc({ ...l, change });
    if (row.cer !== undefined) this.cer.observe(l, row.cer);
    if (row.lineDelta !== undefined) this.lineDelta.observe(l, row.lineDelta);
    if (row.confidenceDelta !== undefined) this.confidenceDelta.observe(l, row.confidenceDelta);
    if (row.liveMs !== undefined && row.replayMs !== undefined) this.latencyDelta.observe(l, (row.replayMs - row.liveMs) / 1000);
  }

  setWaiting(n: number): void {
    this.waiting.set(this.labels, n);
  }
}

export interface ShadowComparerOptions {
  kafka: Kafka;
  redis: Redis;
  plan: ShadowPlan;
  /** How long a shadow result waits for its live result before it counts as `missing-live` (default 5 min). */
  liveWaitMs?: number;
  /** How often waiting results look again (default 500 ms). */
  pollMs?: number;
  /** Port of /metrics (0: a free one; default 0). */
  metricsPort?: number;
  metricsHost?: string;
  log?: (line: string) => void;
  /** Every comparison made (tests, the launcher's log). */
  onCompared?: (row: ComparisonRow) => void;
}

interface Waiting {
  id: string;
  shadow: unknown;
  since: number;
}

export class ShadowComparer {
  readonly metrics: ShadowMetrics;
  private consumer?: Consumer;
  private server?: Server;
  private timer?: NodeJS.Timeout;
  private readonly waiting = new Map<string, Waiting>();
  private polling = false;
  private joined = false;
  port = 0;

  constructor(private readonly options: ShadowComparerOptions) {
    this.metrics = new ShadowMetrics(options.plan);
  }

  /** Starts /metrics and the consumer; resolves once the group is joined. */
  async start(): Promise<void> {
    const { kafka, plan } = this.options;
    this.server = createServer((req, res) => {
      if (req.url === '/metrics') {
        void this.metrics.registry.metrics().then((text) => {
          res.writeHead(200, { 'content-type': this.metrics.registry.contentType });
          res.end(text);
        });
      } else if (req.url === '/health/ready' || req.url === '/health/live') {
        const ok = req.url === '/health/live' || this.joined;
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: ok ? 'ok' : 'starting' }));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.options.metricsPort ?? 0, this.options.metricsHost ?? '0.0.0.0', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    const consumer = kafka.consumer({ groupId: plan.comparerGroup, allowAutoTopicCreation: false });
    this.consumer = consumer;
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.connect();
    await consumer.subscribe({ topics: [plan.resultsTopic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const id = headerString(message.headers ?? {}, CloudEventHeader.id) ?? message.key?.toString('utf8');
        if (!id) return;
        this.waiting.set(id, { id, shadow: parseStoredResult(message.value?.toString('utf8')), since: Date.now() });
        this.metrics.setWaiting(this.waiting.size);
        await this.poll();
      },
    });
    await joined;
    this.joined = true;
    this.timer = setInterval(() => void this.poll(), this.options.pollMs ?? 500);
  }

  /** Compares every waiting shadow result whose live result is there, or whose wait is over. */
  private async poll(): Promise<void> {
    if (this.polling || this.waiting.size === 0) return;
    this.polling = true;
    try {
      const { redis, plan } = this.options;
      const entries = [...this.waiting.values()];
      const live = await redis.mget(...entries.map((e) => plan.liveResultKeyPrefix + e.id));
      const deadline = this.options.liveWaitMs ?? 300_000;
      entries.forEach((entry, i) => {
        if (live[i] === null && Date.now() - entry.since < deadline) return;
        this.waiting.delete(entry.id);
        const row = compareResults(entry.id, entry.id, parseStoredResult(live[i]), entry.shadow);
        this.metrics.record(row);
        this.options.onCompared?.(row);
      });
      this.metrics.setWaiting(this.waiting.size);
    } catch (error) {
      this.options.log?.(`shadow comparer: ${(error as Error).message} (tries again)`);
    } finally {
      this.polling = false;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.consumer?.disconnect().catch(() => undefined);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
