import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One partition of the live input topic: replay offsets [start, end). */
export interface PartitionRange {
  partition: number;
  /** Decimal offsets, as kafkajs hands them out. */
  start: string;
  end: string;
}

/**
 * What a replay run is, fixed when it starts and kept in
 * `<state dir>/<runId>.json`: re-running with the same --run-id resumes this
 * plan (its window, version and settings), whatever else the command line says.
 */
export interface ReplayPlan {
  version: 1;
  runId: string;
  pipeline: string;
  /** The live input topic the window is read from. */
  liveTopic: string;
  /** TOPIC_PREFIX of the replayed pipeline (`<live prefix>replay.<runId>.` unless --topic-prefix). */
  replayTopicPrefix: string;
  /** Its input topic, where copies are published. */
  replayTopic: string;
  /** The copier's consumer group on the live input topic. */
  group: string;
  since: string;
  until: string | null;
  pipelineVersion: string | null;
  /** --set: stage → variable → value. */
  set: Record<string, Record<string, string>>;
  /** Whether the replay starts the replayed pipeline's stages itself (false: --no-start). */
  startsStages: boolean;
  partitions: PartitionRange[];
  createdAt: string;
}

/** A live request copied (or refused, with `error`), one JSON line each in `<runId>.copied.ndjson`. */
export interface CopiedEntry {
  original: string;
  replay?: string;
  partition: number;
  offset: string;
  error?: string;
}

export function planPath(dir: string, runId: string): string {
  return join(dir, `${runId}.json`);
}

export function copiedPath(dir: string, runId: string): string {
  return join(dir, `${runId}.copied.ndjson`);
}

export function readPlan(dir: string, runId: string): ReplayPlan | undefined {
  const path = planPath(dir, runId);
  if (!existsSync(path)) return undefined;
  const plan = JSON.parse(readFileSync(path, 'utf8')) as ReplayPlan;
  if (plan.version !== 1 || plan.runId !== runId || !Array.isArray(plan.partitions)) throw new Error(`${path} is not a replay state file of run ${runId}`);
  return plan;
}

/** Written to a temporary file and renamed: a crash never leaves half a plan. */
export function writePlan(dir: string, plan: ReplayPlan): void {
  mkdirSync(dir, { recursive: true });
  const path = planPath(dir, plan.runId);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(plan, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

export function appendCopied(dir: string, runId: string, entries: readonly CopiedEntry[]): void {
  if (entries.length === 0) return;
  mkdirSync(dir, { recursive: true });
  appendFileSync(copiedPath(dir, runId), entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
}

/**
 * Every request copied so far, in copy order, each position once: a copy sent
 * again after a crash between sending and committing is logged twice (and has
 * the same replay id, so it has one result).
 */
export function readCopied(dir: string, runId: string): CopiedEntry[] {
  const path = copiedPath(dir, runId);
  if (!existsSync(path)) return [];
  const seen = new Map<string, CopiedEntry>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let entry: CopiedEntry;
    try {
      entry = JSON.parse(line) as CopiedEntry;
    } catch {
      continue; // a line cut short by a crash: its message is copied again on resume
    }
    seen.set(`${entry.partition}/${entry.offset}`, entry);
  }
  return [...seen.values()];
}

export function removeState(dir: string, runId: string): void {
  rmSync(planPath(dir, runId), { force: true });
  rmSync(copiedPath(dir, runId), { force: true });
}
