import { writeFileSync } from 'node:fs';
import { headerStrings } from '@conveyor/contracts';
import type { PipelineDefinition } from '@conveyor/pipeline';
import { connectRedisOnce } from '@conveyor/platform';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { deadLetterSources, filterDeadLetters, readDeadLetters, type DeadLetter, type DeadLetterFilter } from './dead-letters';
import { replayDeadLetters, resultStatuses, type ReplayOutcome, type ResultStatus } from './replay';

/** Exit codes of `conveyor dlq …` (as the other commands: 2 usage, 3 unreachable). */
export const DlqExitCode = { ok: 0, notFound: 1, failed: 1, usage: 2, unreachable: 3 } as const;

export interface DlqContext {
  brokers: string[];
  redisUrl: string;
  topicPrefix: string;
  /** The pipelines whose dead-letter topics are read (already selected with --pipeline). */
  pipelines: readonly PipelineDefinition[];
  out: (text: string) => void;
  err: (text: string) => void;
}

class Unreachable extends Error {}

function kafkaOf(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'conveyor-dlq', brokers, logLevel: logLevel.NOTHING, retry: { retries: 3 } });
}


async function load(ctx: DlqContext): Promise<DeadLetter[]> {
  try {
    return await readDeadLetters({ kafka: kafkaOf(ctx.brokers), sources: deadLetterSources(ctx.pipelines, ctx.topicPrefix) });
  } catch (error) {
    throw new Unreachable(`reading the dead-letter topics from Kafka at ${ctx.brokers.join(',')} failed: ${(error as Error).message}`);
  }
}

/** Runs a command body, mapping unreachable Kafka or Redis to exit code 3. */
async function guarded(ctx: DlqContext, command: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof Unreachable) {
      ctx.err(`conveyor dlq ${command}: ${error.message}\n`);
      return DlqExitCode.unreachable;
    }
    throw error;
  }
}

/** A dead letter as JSON (bytes as their size; `--save-value` writes them). */
export function deadLetterJson(letter: DeadLetter, result?: ResultStatus): Record<string, unknown> {
  return {
    position: letter.position,
    pipeline: letter.pipeline,
    requestId: letter.requestId ?? null,
    time: letter.time.toISOString(),
    stage: letter.stage,
    code: letter.code,
    message: letter.message,
    attempts: letter.attempts,
    origin: letter.origin ?? null,
    ...(letter.malformed ? { malformed: letter.malformed } : {}),
    contentType: letter.contentType ?? null,
    valueBytes: letter.value?.length ?? 0,
    claimKey: letter.claimKey ?? null,
    ...(result ? { result } : {}),
  };
}

function clip(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

/** The table `conveyor dlq list` prints: one dead letter a line, oldest first. */
export function formatDeadLetterTable(letters: readonly DeadLetter[], results: ReadonlyMap<DeadLetter, ResultStatus> | undefined): string {
  const header = ['TIME', 'PIPELINE', 'STAGE', 'CODE', 'ATTEMPTS', 'REQUEST', 'ORIGIN', ...(results ? ['RESULT'] : []), 'MESSAGE'];
  const rows = letters.map((l) => [
    l.time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    l.pipeline,
    l.stage,
    l.code,
    String(l.attempts),
    l.requestId ?? '-',
    l.origin ? `${l.origin.topic}/${l.origin.partition}/${l.origin.offset}` : '-',
    ...(results ? [results.get(l) ?? 'none'] : []),
    clip(l.message, 80),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

export interface DlqListOptions {
  filter: DeadLetterFilter;
  json?: boolean;
}

/** `conveyor dlq list`: the dead letters of the pipelines, filtered, with their request's current result when Redis answers. */
export function runDlqList(ctx: DlqContext, options: DlqListOptions): Promise<number> {
  return guarded(ctx, 'list', async () => {
    const letters = filterDeadLetters(await load(ctx), options.filter);
    let results: Map<DeadLetter, ResultStatus> | undefined;
    try {
      const redis = await connectRedisOnce(ctx.redisUrl, (message) => new Unreachable(message));
      try {
        results = await resultStatuses(redis, letters);
      } finally {
        redis.disconnect();
      }
    } catch (error) {
      ctx.err(`conveyor dlq list: results not shown: ${(error as Error).message}\n`);
    }
    if (options.json) ctx.out(`${JSON.stringify(letters.map((l) => deadLetterJson(l, results?.get(l))), null, 2)}\n`);
    else if (letters.length === 0) ctx.out('no dead letters\n');
    else ctx.out(formatDeadLetterTable(letters, results));
    return DlqExitCode.ok;
  });
}

export interface DlqShowOptions {
  /** A request id or a dead-letter position (`<dlq topic>/<partition>/<offset>`). */
  id: string;
  json?: boolean;
  /** Write the (newest) dead letter's value to this file. */
  saveValue?: string;
}

/** `conveyor dlq show <id>`: every dead letter of a request (or the one at a position), with all its headers and its current result. */
export function runDlqShow(ctx: DlqContext, options: DlqShowOptions): Promise<number> {
  return guarded(ctx, 'show', async () => {
    const letters = filterDeadLetters(await load(ctx), { ids: [options.id] });
    if (letters.length === 0) {
      ctx.err(`conveyor dlq show: no dead letter for "${options.id}" (a request id, or <dlq topic>/<partition>/<offset>)\n`);
      return DlqExitCode.notFound;
    }
    const redis = await connectRedisOnce(ctx.redisUrl, (message) => new Unreachable(message));
    let results: Map<DeadLetter, ResultStatus>;
    const claims = new Map<DeadLetter, boolean>();
    try {
      results = await resultStatuses(redis, letters);
      for (const l of letters) if (l.claimKey) claims.set(l, (await redis.exists(l.claimKey)) === 1);
    } finally {
      redis.disconnect();
    }
    if (options.saveValue) {
      const newest = letters[letters.length - 1];
      writeFileSync(options.saveValue, newest.value ?? Buffer.alloc(0));
    }
    if (options.json) {
      const json = letters.map((l) => ({
        ...deadLetterJson(l, results.get(l)),
        ...(l.claimKey ? { claimPresent: claims.get(l) } : {}),
        key: l.key?.toString('utf8') ?? null,
        headers: Object.fromEntries(Object.keys(l.headers).map((name) => [name, headerStrings(l.headers, name).join(', ')])),
      }));
      ctx.out(`${JSON.stringify(json, null, 2)}\n`);
      return DlqExitCode.ok;
    }
    ctx.out(letters.map((l) => describe(l, results.get(l), claims.get(l))).join('\n'));
    return DlqExitCode.ok;
  });
}

function describe(l: DeadLetter, result: ResultStatus | undefined, claimPresent: boolean | undefined): string {
  const fields: Array<[string, string]> = [
    ['dead letter', l.position],
    ['written', l.time.toISOString()],
    ['pipeline', l.pipeline],
    ['request', l.requestId ?? '(none readable)'],
    ['stage', l.stage],
    ['code', l.code],
    ['attempts', String(l.attempts)],
    ['origin', l.origin ? `${l.origin.topic}/${l.origin.partition}/${l.origin.offset}` : `(unreadable: ${l.malformed ?? '?'})`],
    ['result now', result ?? 'none'],
    ['key', l.key?.toString('utf8') ?? '(none)'],
    ['value', l.claimKey ? `claim-checked: ${l.claimKey} (${claimPresent ? 'still in Redis' : 'gone from Redis: cannot be replayed'})` : `${l.value?.length ?? 0} bytes${l.contentType ? `, ${l.contentType}` : ''}`],
    ['message', l.message],
  ];
  const width = Math.max(...fields.map(([name]) => name.length));
  const headers = Object.keys(l.headers)
    .sort()
    .map((name) => `  ${name}: ${clip(headerStrings(l.headers, name).join(', '), 200)}`);
  return `${fields.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n')}\nheaders\n${headers.join('\n')}\n`;
}

export interface DlqReplayOptions {
  filter: DeadLetterFilter;
  dryRun?: boolean;
  json?: boolean;
}

/** `conveyor dlq replay`: replays the selected dead letters (see replayDeadLetters); exit 1 if a replay failed or an --id matched nothing. */
export function runDlqReplay(ctx: DlqContext, options: DlqReplayOptions): Promise<number> {
  return guarded(ctx, 'replay', async () => {
    const all = await load(ctx);
    const letters = filterDeadLetters(all, options.filter);
    const unmatched = (options.filter.ids ?? []).filter((id) => !letters.some((l) => l.position === id || l.requestId === id));
    for (const id of unmatched) ctx.err(`conveyor dlq replay: no dead letter for "${id}"\n`);
    const redis = await connectRedisOnce(ctx.redisUrl, (message) => new Unreachable(message));
    let producer: Producer | undefined;
    let outcomes: ReplayOutcome[];
    try {
      producer = kafkaOf(ctx.brokers).producer({ idempotent: true, allowAutoTopicCreation: false });
      await producer.connect().catch((error: unknown) => {
        throw new Unreachable(`Kafka at ${ctx.brokers.join(',')} is unreachable: ${(error as Error).message}`);
      });
      outcomes = await replayDeadLetters(letters, { producer, redis, dryRun: options.dryRun });
    } finally {
      await producer?.disconnect().catch(() => undefined);
      redis.disconnect();
    }
    if (options.json) {
      ctx.out(`${JSON.stringify(outcomes.map(({ letter, ...rest }) => ({ ...deadLetterJson(letter), ...rest })), null, 2)}\n`);
    } else {
      for (const o of outcomes) ctx.out(`${describeOutcome(o)}\n`);
      const count = (kind: ReplayOutcome['outcome']) => outcomes.filter((o) => o.outcome === kind).length;
      ctx.out(
        options.dryRun
          ? `${count('would-replay')} would be replayed, ${count('skipped')} skipped (dry run: nothing changed)\n`
          : `${count('replayed')} replayed, ${count('skipped')} skipped, ${count('failed')} failed\n`,
      );
    }
    return unmatched.length > 0 || outcomes.some((o) => o.outcome === 'failed') ? DlqExitCode.failed : DlqExitCode.ok;
  });
}

function describeOutcome(o: ReplayOutcome): string {
  const what = `${o.letter.requestId ?? '(no id)'} (${o.letter.pipeline}/${o.letter.stage} ${o.letter.code}, ${o.letter.position})`;
  switch (o.outcome) {
    case 'replayed':
      return `replayed ${what} -> ${o.to.topic}/${o.to.partition}/${o.to.offset}`;
    case 'would-replay':
      return `would replay ${what} -> ${o.letter.origin?.topic}`;
    case 'skipped':
      return `skipped ${what}: ${o.reason}`;
    case 'failed':
      return `FAILED ${what}: ${o.reason}`;
  }
}
