import { hashPrefix, StageVersionSchema, type StageVersion } from '@conveyor/contracts';
import { consumerGroup, serviceName, topicName, type PipelineDefinition } from '@conveyor/pipeline';
import { Kafka, logLevel, type Admin } from 'kafkajs';

export interface StageStatus {
  pipeline: string;
  stage: string;
  /** true/false from /health/ready; undefined when the stage did not answer. */
  ready: boolean | undefined;
  /** Messages waiting in the stage's input topic (high watermark − committed offset, summed over partitions). */
  lag: number;
  /** Messages committed per second over the sampling window. */
  throughput: number;
  /** The stage process' versions from its GET /version (full model SHA-256); undefined when it did not answer. */
  versions: StageVersion | undefined;
  healthUrl: string;
}

export interface StatusOptions {
  brokers: string[];
  topicPrefix: string;
  /** The pipelines to report on. */
  pipelines: readonly PipelineDefinition[];
  /** Service name (`ocr-inference`) → base URL of its health endpoints. */
  healthUrls: Record<string, string>;
  /** How long to watch committed offsets to measure throughput. */
  sampleMs: number;
}

/** Committed position of a group on a topic, summed over partitions (a partition never committed counts from 0). */
async function committed(admin: Admin, groupId: string, topic: string): Promise<Map<number, number>> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map((offsets?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]));
}

async function sequentially<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (const item of items) results.push(await fn(item));
  return results;
}

async function readiness(url: string): Promise<boolean | undefined> {
  try {
    const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return undefined;
  }
}

/** A stage's GET /version (docs/architecture.md, "Versions"); undefined when it does not answer or answers nonsense. */
export async function stageVersions(url: string): Promise<StageVersion | undefined> {
  try {
    const response = await fetch(`${url}/version`, { signal: AbortSignal.timeout(2_000) });
    if (!response.ok) return undefined;
    const parsed = StageVersionSchema.safeParse(await response.json());
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Per stage: readiness (its probe), versions (GET /version), consumer lag and throughput (from the
 * group's committed offsets, sampled twice), read the way an operator would
 * with Kafka's own tools — no access to the stages' internals needed.
 */
export async function collectStatus(options: StatusOptions): Promise<StageStatus[]> {
  const admin = new Kafka({ clientId: 'conveyor-status', brokers: options.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const stages = options.pipelines.flatMap((pipeline) =>
      pipeline.stages.map((stage) => ({
        pipeline: pipeline.name,
        stage: stage.name,
        service: serviceName(pipeline, stage),
        topic: topicName(pipeline, stage.input, options.topicPrefix),
        groupId: `${options.topicPrefix}${consumerGroup(pipeline, stage)}`,
      })),
    );
    const before = await sequentially(stages, (s) => committed(admin, s.groupId, s.topic));
    const started = Date.now();
    await new Promise((r) => setTimeout(r, options.sampleMs));
    const after = await sequentially(stages, (s) => committed(admin, s.groupId, s.topic));
    const seconds = (Date.now() - started) / 1000;
    // One admin request at a time: kafkajs' admin races when several ListOffsets
    // requests share its connection (seen here as "Closed connection").
    const rows: StageStatus[] = [];
    for (const [i, s] of stages.entries()) {
      const highs = await admin.fetchTopicOffsets(s.topic);
      const lag = highs.reduce((sum, h) => sum + Math.max(0, Number(h.high) - (after[i].get(h.partition) ?? 0)), 0);
      const progressed = [...after[i]].reduce((sum, [p, o]) => sum + Math.max(0, o - (before[i].get(p) ?? 0)), 0);
      const healthUrl = options.healthUrls[s.service] ?? '';
      const ready = healthUrl ? await readiness(healthUrl) : undefined;
      const versions = healthUrl ? await stageVersions(healthUrl) : undefined;
      rows.push({ pipeline: s.pipeline, stage: s.stage, ready, lag, throughput: progressed / seconds, versions, healthUrl });
    }
    return rows;
  } finally {
    await admin.disconnect();
  }
}

/** `name@<sha256 prefix>` per model, `-` for a stage without one, `?` when the stage did not say. */
function modelsCell(versions: StageVersion | undefined): string {
  if (!versions) return '?';
  if (versions.models.length === 0) return '-';
  return versions.models.map((m) => `${m.name}@${hashPrefix(m.sha256)}`).join(',');
}

/** A compact fixed-width table (hashes as their first 12 hex characters; `--json` has the models' in full). */
export function formatStatusTable(rows: readonly StageStatus[]): string {
  const lines = [
    ['PIPELINE', 'STAGE', 'READY', 'LAG', 'MSG/S', 'VERSION', 'CONFIG', 'MODELS', 'HEALTH'],
    ...rows.map((r) => [
      r.pipeline,
      r.stage,
      r.ready === undefined ? 'down' : r.ready ? 'yes' : 'no',
      String(r.lag),
      r.throughput.toFixed(1),
      r.versions?.version ?? '?',
      r.versions ? hashPrefix(r.versions.configHash) : '?',
      modelsCell(r.versions),
      r.healthUrl,
    ]),
  ];
  const widths = lines[0].map((_, c) => Math.max(...lines.map((l) => l[c].length)));
  return lines.map((l) => l.map((cell, c) => (c === 3 || c === 4 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd()).join('\n') + '\n';
}
