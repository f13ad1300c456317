import { join } from 'node:path';
import { findWorkspaceRoot } from '@conveyor/kafka-local';
import { selectPipelines, type PipelineDefinition } from '@conveyor/pipeline';
import { Presets, SingleBar } from 'cli-progress';
import type { ComparisonRow, ComparisonSummary } from './compare';
import { newRunId, runIdProblem } from './ids';
import { parseStageSetting, ReplayUnreachableError, ReplayUsageError, runReplay, type ReplayReport, type StageSetting } from './replay';
import { parseReplayWindow, type ReplayWindow } from './time';

/**
 * Exit codes of `conveyor replay`: 0 every request replayed and compared (differences are the report, not a failure),
 * 1 some replay results missing or requests not replayable, 2 usage, 3 Kafka or Redis unreachable, 130 stopped by
 * Ctrl-C (resumable).
 */
export const ReplayExitCode = { ok: 0, incomplete: 1, usage: 2, unreachable: 3, interrupted: 130 } as const;

export interface ReplayContext {
  brokers: string[];
  redisUrl: string;
  /** TOPIC_PREFIX of the live pipelines. */
  topicPrefix: string;
  definitions: readonly PipelineDefinition[];
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stderr is a terminal (the progress bar shows only then). */
  isTTY?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface ReplayCommandOptions {
  since?: string;
  until?: string;
  pipeline?: string;
  runId?: string;
  pipelineVersion?: string;
  set?: string[];
  /** false: --no-start. */
  start?: boolean;
  topicPrefix?: string;
  /** undefined: on when the replay starts its own stages. */
  cleanup?: boolean;
  stateDir?: string;
  /** Seconds to wait for the results once everything is copied. */
  timeout?: number;
  resultTtl?: number;
  top?: number;
  json?: boolean;
  progress?: boolean;
  signal?: AbortSignal;
}

const pct = (x: number | undefined) => (x === undefined ? '-' : `${(x * 100).toFixed(2)}%`);
const signed = (x: number | undefined, digits = 0) => (x === undefined ? '-' : `${x > 0 ? '+' : ''}${x.toFixed(digits)}`);
const ms = (x: number | undefined) => (x === undefined ? '-' : `${Math.round(x)} ms`);

/** The report as text: what was replayed, the summary, version changes, the most different requests. */
export function formatReplayReport(report: ReplayReport): string {
  const s = report.summary;
  const lines: string[] = [];
  const version = report.pipelineVersion ? ` as "${report.pipelineVersion}"` : '';
  lines.push(`replay ${report.runId} of ${report.pipeline}${version}: ${report.liveTopic} from ${report.since} to ${report.until ?? 'the end at the start of the run'}`);
  const set = Object.entries(report.set).flatMap(([stage, vars]) => Object.entries(vars).map(([k, v]) => `${stage}.${k}=${v}`));
  lines.push(`replayed into ${report.replayTopicPrefix}${report.pipeline}.*${set.length ? ` with ${set.join(' ')}` : ' with the settings of the definition'}`);
  if (report.state === 'interrupted') {
    lines.push(`INTERRUPTED after copying ${report.copied} of ${report.total}: run again with --run-id ${report.runId} to resume`);
  }
  lines.push(...formatComparisonSummary(s, 'replay'));
  if (report.mostDifferent.length > 0) {
    lines.push(`most different (${report.mostDifferent.length}):`);
    lines.push(formatComparisonRows(report.mostDifferent, 'replay'));
  }
  if (report.cleanedUp) {
    lines.push(`cleaned up: ${report.cleanedUp.topics.length} topics, ${report.cleanedUp.groups.length} consumer groups, the state files`);
  }
  if (report.resultTtlSeconds !== null && report.state === 'completed') {
    lines.push(`replay results stay in Redis under <result prefix>${report.runId}.<id> for ${report.resultTtlSeconds} s`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The summary lines of a comparison of live results with another version's (`side`: `replay`, `shadow`): counts,
 * mean CER, line, confidence and time deltas, then the version differences. Shared by replay and shadow reports.
 */
export function formatComparisonSummary(s: ComparisonSummary, side: string): string[] {
  const lines: string[] = [];
  lines.push(
    `requests ${s.requests}  identical ${s.identical}  different ${s.different}  missing ${s.missing}` +
      `${s.missing ? ` (live ${s.missingLive}, ${side} ${s.missingReplay})` : ''}  errors ${s.errors}  status changed ${s.statusChanged}`,
  );
  lines.push(
    `mean CER ${pct(s.meanCer)}  mean line delta ${signed(s.meanLineDelta, 2)}  mean confidence delta ${signed(s.meanConfidenceDelta, 4)}  ` +
      `mean time live ${ms(s.meanLiveMs)}, ${side} ${ms(s.meanReplayMs)}`,
  );
  if (s.versionChanges.length > 0) {
    lines.push(`version differences (live -> ${side}):`);
    for (const v of s.versionChanges) lines.push(`  ${v.change}  (${v.requests} request${v.requests === 1 ? '' : 's'})`);
  }
  return lines;
}

/** Rows of a comparison as a table; the other version's column is named `side` (REPLAY, SHADOW). */
export function formatComparisonRows(rows: readonly ComparisonRow[], side: string): string {
  const header = ['REQUEST', 'OUTCOME', 'STATUS', 'CER', 'LINES', 'CONFIDENCE', 'LIVE', side.toUpperCase(), 'NOTE'];
  const cells = rows.map((r) => [
    r.originalId,
    r.outcome,
    r.statusChanged ? `${r.liveStatus ?? '-'} -> ${r.replayStatus ?? '-'}` : (r.replayStatus ?? r.liveStatus ?? '-'),
    pct(r.cer),
    signed(r.lineDelta),
    signed(r.confidenceDelta, 4),
    ms(r.liveMs),
    ms(r.replayMs),
    r.error ?? r.versionChanges.join('; '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `  ${c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]))).join('  ')}`.trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}

/** `conveyor replay`: parses the options, runs the replay with a progress bar, prints the report; returns the exit code. */
export async function runReplayCommand(ctx: ReplayContext, options: ReplayCommandOptions): Promise<number> {
  const usage = (message: string) => {
    ctx.err(`conveyor replay: ${message}\n`);
    return ReplayExitCode.usage;
  };
  let pipeline: PipelineDefinition;
  let settings: StageSetting[];
  let window: ReplayWindow | undefined;
  try {
    const selected = selectPipelines(ctx.definitions, options.pipeline ? [options.pipeline] : [ctx.definitions[0].name]);
    if (selected.length !== 1) return usage('--pipeline names one pipeline');
    pipeline = selected[0];
    settings = (options.set ?? []).map((s) => parseStageSetting(s, pipeline));
    if (options.since !== undefined) window = parseReplayWindow(options.since, options.until);
    else if (options.until !== undefined) return usage('--until needs --since');
  } catch (error) {
    return usage((error as Error).message);
  }
  const start = options.start ?? true;
  if (!start && settings.length > 0) return usage('--set applies to stages the replay starts; with --no-start the deployed replay pipeline has its own settings');
  if (start && options.topicPrefix !== undefined) return usage('--topic-prefix names a deployed replay pipeline: use it with --no-start');
  if (!start && options.topicPrefix === undefined) return usage('--no-start needs --topic-prefix, the TOPIC_PREFIX of the deployed replay pipeline');
  if (options.runId === undefined && window === undefined) return usage('say which window to replay (--since), or --run-id of a replay to resume');
  const runId = options.runId ?? newRunId();
  const problem = runIdProblem(runId);
  if (problem) return usage(problem);

  const showProgress = (options.progress ?? true) && !options.json && Boolean(ctx.isTTY);
  const bar = showProgress
    ? new SingleBar(
        { format: 'replay {runId} |{bar}| copied {copied}/{total}, results {results}/{copied} | {phase}', stream: process.stderr, hideCursor: true },
        Presets.shades_classic,
      )
    : undefined;
  let total = 0;
  let copied = 0;
  if (!options.json && !showProgress) ctx.err(`conveyor replay: run ${runId}\n`);
  let report: ReplayReport;
  try {
    report = await runReplay({
      brokers: ctx.brokers,
      redisUrl: ctx.redisUrl,
      liveTopicPrefix: ctx.topicPrefix,
      pipeline,
      definitions: ctx.definitions,
      runId,
      window,
      pipelineVersion: options.pipelineVersion,
      settings,
      start,
      topicPrefix: options.topicPrefix,
      cleanup: options.cleanup,
      stateDir: options.stateDir ?? join(findWorkspaceRoot(), '.conveyor', 'replay'),
      resultTimeoutMs: (options.timeout ?? 600) * 1000,
      resultTtlSeconds: options.resultTtl,
      top: options.top ?? 10,
      signal: options.signal,
      env: ctx.env,
      progress: {
        planned: (n, plan, resumed) => {
          total = n;
          if (resumed && !options.json) ctx.err(`conveyor replay: resuming run ${runId} (window ${plan.since} to ${plan.until ?? 'the end then'}, its stored settings)\n`);
          bar?.start(Math.max(n, 1), 0, { runId, copied: 0, total: n, results: 0, phase: 'planning' });
        },
        copied: (n) => {
          copied = n;
          bar?.update({ copied: n, total });
        },
        results: (n) => bar?.update(n, { copied }),
        phase: (text) => {
          if (bar) bar.update({ phase: text });
          else if (!options.json) ctx.err(`conveyor replay: ${text}\n`);
        },
      },
    });
  } catch (error) {
    bar?.stop();
    if (error instanceof ReplayUsageError) return usage(error.message);
    if (error instanceof ReplayUnreachableError) {
      ctx.err(`conveyor replay: ${error.message}\n`);
      return ReplayExitCode.unreachable;
    }
    throw error;
  }
  bar?.stop();
  ctx.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReplayReport(report));
  if (report.state === 'interrupted') return ReplayExitCode.interrupted;
  return report.summary.missingReplay > 0 || report.summary.errors > 0 ? ReplayExitCode.incomplete : ReplayExitCode.ok;
}
