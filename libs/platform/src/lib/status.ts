import { hashPrefix, StageVersionSchema, type StageVersion } from '@conveyor/contracts';
import { consumerGroup, serviceName, topicName, type PipelineDefinition } from '@conveyor/pipeline';
import { AssignerProtocol, Kafka, logLevel, type Admin } from 'kafkajs';
import {
  formatModels,
  formatPartitions,
  formatRate,
  formatSeconds,
  groupByVersion,
  parseMetricsText,
  processMetrics,
  type ProcessMetrics,
  type ProcessStatus,
  type VersionGroup,
} from './version-groups';

/** A member of a stage's consumer group, as the group coordinator describes it. */
export interface GroupMember {
  clientId: string;
  clientHost: string;
  /** Partitions of the stage's input topic assigned to it. */
  partitions: number[];
}

export interface StageStatus {
  pipeline: string;
  stage: string;
  /**
   * true/false from /health/ready (every process of the stage ready: false if one is not); undefined when no
   * process answered.
   */
  ready: boolean | undefined;
  /** Messages waiting in the stage's input topic (high watermark − committed offset, summed over partitions). */
  lag: number;
  /** Messages committed per second over the sampling window. */
  throughput: number;
  /** The (first) stage process' versions from its GET /version (full model SHA-256); undefined when it did not answer. */
  versions: StageVersion | undefined;
  healthUrl: string;
  /** Partitions of the input topic. */
  partitions: number;
  /** Every process of the stage status knows of (replicas, canaries), with its readiness, versions and metrics. */
  processes: ProcessStatus[];
  /** The processes grouped by version identity, live first: replicas, partitions owned, consumed, errors, latency. */
  versionGroups: VersionGroup[];
  /** The consumer group's members (all of them, also processes status cannot reach). */
  groupMembers: GroupMember[];
}

/** A stage process besides the one in `healthUrls`: a further replica, a canary, a pod. */
export interface StageProcessRef {
  /** The stage's service name, `<pipeline>-<stage>`. */
  service: string;
  /** Its name in the status (`ocr-inference-2`, a canary's name). */
  name: string;
  url: string;
  canary?: boolean;
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
  /** More processes of the stages (replicas, canaries); a URL already known is not counted twice. */
  processes?: readonly StageProcessRef[];
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

/** A stage process' GET /metrics for its input topic; undefined when it does not answer. */
export async function stageMetrics(url: string, topic: string): Promise<ProcessMetrics | undefined> {
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2_000) });
    if (!response.ok) return undefined;
    return processMetrics(parseMetricsText(await response.text()), topic);
  } catch {
    return undefined;
  }
}

/** The members of a consumer group with their partitions of `topic` (DescribeGroups; the assignment decoded). */
export async function describeGroupMembers(admin: Admin, groupId: string, topic: string): Promise<GroupMember[]> {
  const { groups } = await admin.describeGroups([groupId]);
  return (groups[0]?.members ?? []).map((m) => {
    let partitions: number[] = [];
    try {
      const decoded = m.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
      partitions = [...(decoded?.assignment[topic] ?? [])].sort((a, b) => a - b);
    } catch {
      partitions = [];
    }
    return { clientId: m.clientId, clientHost: m.clientHost, partitions };
  });
}

/** Every process answered ready: true; one answered not ready (or did not answer while others did): false; none answered: undefined. */
function stageReady(states: ReadonlyArray<boolean | undefined>): boolean | undefined {
  if (states.length === 0 || states.every((s) => s === undefined)) return undefined;
  return states.every((s) => s === true);
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
      const refs: StageProcessRef[] = healthUrl ? [{ service: s.service, name: s.service, url: healthUrl }] : [];
      for (const ref of options.processes ?? []) {
        if (ref.service === s.service && !refs.some((r) => r.url === ref.url)) refs.push(ref);
      }
      const processes: ProcessStatus[] = [];
      for (const ref of refs) {
        processes.push({
          name: ref.name,
          url: ref.url,
          canary: Boolean(ref.canary),
          ready: await readiness(ref.url),
          versions: await stageVersions(ref.url),
          metrics: await stageMetrics(ref.url, s.topic),
        });
      }
      const groupMembers = await describeGroupMembers(admin, s.groupId, s.topic);
      rows.push({
        pipeline: s.pipeline,
        stage: s.stage,
        ready: healthUrl ? stageReady(processes.map((p) => p.ready)) : undefined,
        lag,
        throughput: progressed / seconds,
        versions: processes[0]?.url === healthUrl ? processes[0].versions : undefined,
        healthUrl,
        partitions: highs.length,
        processes,
        versionGroups: groupByVersion(processes),
        groupMembers,
      });
    }
    return rows;
  } finally {
    await admin.disconnect();
  }
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
      formatModels(r.versions?.models),
      r.healthUrl,
    ]),
  ];
  const widths = lines[0].map((_, c) => Math.max(...lines.map((l) => l[c].length)));
  return lines.map((l) => l.map((cell, c) => (c === 3 || c === 4 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd()).join('\n') + '\n';
}

/**
 * Per stage, per version identity (a canary beside the live version): processes, the input partitions they own,
 * messages consumed, errors (dead-lettered) and their rate, retries, and latency (mean, p50, p95 of
 * conveyor_stage_duration_seconds since the processes started). `*` marks a canary's version.
 */
export function formatVersionsTable(rows: readonly StageStatus[]): string {
  const lines = [
    ['PIPELINE', 'STAGE', 'VERSION', 'CONFIG', 'MODELS', 'REPLICAS', 'PARTITIONS', 'CONSUMED', 'ERRORS', 'ERR%', 'RETRIES', 'MEAN', 'P50', 'P95', 'PROCESSES'],
    ...rows.flatMap((r) =>
      r.versionGroups.map((g) => [
        r.pipeline,
        r.stage,
        `${g.version ?? '?'}${g.canary ? '*' : ''}`,
        g.configHash ? hashPrefix(g.configHash) : '?',
        formatModels(g.models),
        String(g.replicas),
        `${formatPartitions(g.partitions)}${r.partitions > 0 ? ` of ${r.partitions}` : ''}`,
        String(g.consumed),
        String(g.errors),
        formatRate(g.errorRate),
        String(g.retries),
        formatSeconds(g.latency.mean),
        formatSeconds(g.latency.p50),
        formatSeconds(g.latency.p95),
        g.processes.join(','),
      ]),
    ),
  ];
  const right = new Set([5, 7, 8, 9, 10, 11, 12, 13]);
  const widths = lines[0].map((_, c) => Math.max(...lines.map((l) => l[c].length)));
  return lines.map((l) => l.map((cell, c) => (right.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd()).join('\n') + '\n';
}
