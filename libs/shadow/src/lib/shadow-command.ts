import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { findWorkspaceRoot } from '@conveyor/kafka-local';
import { findStage, selectPipelines, type PipelineDefinition } from '@conveyor/pipeline';
import { connectRedisOnce } from '@conveyor/platform';
import type Redis from 'ioredis';
import { parseShadowSettings, planShadow, shadowNameProblem, type ShadowPlan } from './plan';
import { collectShadowReport, formatShadowReport } from './report';
import { cleanUpShadow, kafkaOf, readShadowState, shadowStatePath, startShadow, type CleanupReport } from './shadow';

/** Exit codes of `conveyor shadow`: 0 ok, 1 the shadow failed while running, 2 usage, 3 Kafka or Redis unreachable. */
export const ShadowExitCode = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

export interface ShadowContext {
  brokers: string[];
  redisUrl: string;
  /** TOPIC_PREFIX of the live pipelines. */
  topicPrefix: string;
  definitions: readonly PipelineDefinition[];
  out: (text: string) => void;
  err: (text: string) => void;
  env?: NodeJS.ProcessEnv;
  /** `.conveyor/shadow` unless given. */
  stateDir?: string;
}

export interface ShadowStartOptions {
  pipeline?: string;
  stage?: string;
  name?: string;
  set?: string[];
  partitions?: number;
  metricsPort?: number;
  /** Seconds a shadow result waits for its live result in the comparer. */
  liveWait?: number;
  fromBeginning?: boolean;
  /** Stops the shadow (Ctrl-C): it prints the final report and cleans up. */
  signal: AbortSignal;
}

const stateDirOf = (ctx: ShadowContext) => ctx.stateDir ?? join(findWorkspaceRoot(), '.conveyor', 'shadow');

function pipelineOf(ctx: ShadowContext, name: string | undefined): PipelineDefinition {
  const selected = selectPipelines(ctx.definitions, [name ?? ctx.definitions[0].name]);
  if (selected.length !== 1) throw new Error('--pipeline names one pipeline');
  return selected[0];
}

/** The plan of a shadow by name: its state file while it runs, else derived again from --pipeline/--stage. */
function knownPlan(ctx: ShadowContext, name: string, pipelineName: string | undefined, stage: string | undefined): ShadowPlan {
  const state = readShadowState(stateDirOf(ctx), name);
  if (state) return state.plan;
  const pipeline = pipelineOf(ctx, pipelineName);
  return planShadow({ name, pipeline, stage: stage ?? pipeline.stages[0].name, liveTopicPrefix: ctx.topicPrefix });
}


function formatCleanup(c: CleanupReport): string {
  return `cleaned up: ${c.topics.length} topics, ${c.groups.length} consumer groups, ${c.redisKeys} Redis keys\n`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `conveyor shadow start`: runs the shadow in the foreground (its stages under
 * the local supervisor and the comparer with /metrics) until the signal; then
 * prints the final report and deletes the shadow's topics, groups and keys.
 */
export async function runShadowStart(ctx: ShadowContext, options: ShadowStartOptions): Promise<number> {
  const usage = (message: string) => {
    ctx.err(`conveyor shadow start: ${message}\n`);
    return ShadowExitCode.usage;
  };
  if (!options.name) return usage('--name is required');
  if (!options.stage) return usage('--stage is required (the stage whose new version the shadow runs)');
  let plan: ShadowPlan;
  let pipeline: PipelineDefinition;
  try {
    pipeline = pipelineOf(ctx, options.pipeline);
    findStage(pipeline, options.stage);
    plan = planShadow({ name: options.name, pipeline, stage: options.stage, liveTopicPrefix: ctx.topicPrefix, set: parseShadowSettings(options.set ?? [], pipeline) });
  } catch (error) {
    return usage((error as Error).message);
  }
  const stateDir = stateDirOf(ctx);
  const existing = readShadowState(stateDir, plan.name);
  if (existing && processAlive(existing.pid)) return usage(`shadow ${plan.name} is already running (pid ${existing.pid}); stop it first`);
  const log = (line: string) => ctx.err(`${line}\n`);
  log(`conveyor shadow: starting ${plan.name}: ${plan.pipeline} stages ${plan.stages.join(', ')} under ${plan.topicPrefix}, reading ${plan.liveInputTopic}`);
  let running;
  try {
    running = await startShadow({
      brokers: ctx.brokers,
      redisUrl: ctx.redisUrl,
      pipeline,
      definitions: ctx.definitions,
      plan,
      partitions: options.partitions,
      metricsPort: options.metricsPort ?? 0,
      liveWaitMs: options.liveWait !== undefined ? options.liveWait * 1000 : undefined,
      fromBeginning: options.fromBeginning,
      stateDir,
      env: ctx.env,
      log,
    });
  } catch (error) {
    ctx.err(`conveyor shadow start: ${(error as Error).message}\n`);
    return ShadowExitCode.unreachable;
  }
  ctx.out(
    `shadow ${plan.name} is running: metrics on http://127.0.0.1:${running.comparer.port}/metrics, results under ${plan.resultKeyPrefix}<id>; ` +
      `\`conveyor shadow report --name ${plan.name}\`; Ctrl-C or \`conveyor shadow stop --name ${plan.name}\` stops it and removes everything it made\n`,
  );
  const failed = await Promise.race([
    running.failed.then((error) => error),
    new Promise<undefined>((resolve) => (options.signal.aborted ? resolve(undefined) : options.signal.addEventListener('abort', () => resolve(undefined), { once: true }))),
  ]);
  log(`conveyor shadow: stopping ${plan.name}${failed ? ` (${failed.message})` : ''}`);
  try {
    ctx.out(formatShadowReport(await collectShadowReport(running.redis, plan)));
  } catch (error) {
    log(`conveyor shadow: no final report (${(error as Error).message})`);
  }
  const cleaned = await running.stop();
  if (cleaned) ctx.out(formatCleanup(cleaned));
  return failed ? ShadowExitCode.failed : ShadowExitCode.ok;
}

/** `conveyor shadow report`: the comparison of the shadow's results so far with the live ones. */
export async function runShadowReport(ctx: ShadowContext, options: { name?: string; pipeline?: string; stage?: string; json?: boolean; top?: number }): Promise<number> {
  if (!options.name) {
    ctx.err('conveyor shadow report: --name is required\n');
    return ShadowExitCode.usage;
  }
  let plan: ShadowPlan;
  try {
    const problem = shadowNameProblem(options.name);
    if (problem) throw new Error(problem);
    plan = knownPlan(ctx, options.name, options.pipeline, options.stage);
  } catch (error) {
    ctx.err(`conveyor shadow report: ${(error as Error).message}\n`);
    return ShadowExitCode.usage;
  }
  let redis: Redis;
  try {
    redis = await connectRedisOnce(ctx.redisUrl, (message, cause) => Object.assign(new Error(message, { cause }), { unreachable: true }));
  } catch (error) {
    ctx.err(`conveyor shadow report: ${(error as Error).message}\n`);
    return ShadowExitCode.unreachable;
  }
  try {
    const report = await collectShadowReport(redis, plan, options.top ?? 10);
    ctx.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatShadowReport(report));
    return ShadowExitCode.ok;
  } finally {
    redis.disconnect();
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `conveyor shadow stop`: asks the running `shadow start` to stop (SIGTERM; it
 * reports and cleans up) and waits for it; a shadow whose launcher is gone (or
 * was deployed elsewhere, with --pipeline/--stage) is cleaned up here.
 */
export async function runShadowStop(ctx: ShadowContext, options: { name?: string; pipeline?: string; stage?: string; timeout?: number }): Promise<number> {
  if (!options.name) {
    ctx.err('conveyor shadow stop: --name is required\n');
    return ShadowExitCode.usage;
  }
  const stateDir = stateDirOf(ctx);
  let plan: ShadowPlan;
  try {
    const problem = shadowNameProblem(options.name);
    if (problem) throw new Error(problem);
    const state = readShadowState(stateDir, options.name);
    if (state && state.pid !== process.pid && processAlive(state.pid)) {
      process.kill(state.pid, 'SIGTERM');
      const deadline = Date.now() + (options.timeout ?? 120) * 1000;
      while (readShadowState(stateDir, options.name) && processAlive(state.pid) && Date.now() < deadline) await sleep(250);
      if (!readShadowState(stateDir, options.name)) {
        ctx.out(`shadow ${options.name} stopped (pid ${state.pid}) and cleaned up\n`);
        return ShadowExitCode.ok;
      }
      if (processAlive(state.pid)) {
        ctx.err(`conveyor shadow stop: shadow ${options.name} (pid ${state.pid}) did not stop within ${options.timeout ?? 120} s\n`);
        return ShadowExitCode.failed;
      }
    }
    plan = knownPlan(ctx, options.name, options.pipeline, options.stage);
  } catch (error) {
    ctx.err(`conveyor shadow stop: ${(error as Error).message}\n`);
    return ShadowExitCode.usage;
  }
  let redis: Redis;
  try {
    redis = await connectRedisOnce(ctx.redisUrl, (message, cause) => Object.assign(new Error(message, { cause }), { unreachable: true }));
  } catch (error) {
    ctx.err(`conveyor shadow stop: ${(error as Error).message}\n`);
    return ShadowExitCode.unreachable;
  }
  try {
    const pipeline = pipelineOf(ctx, plan.pipeline);
    ctx.out(formatCleanup(await cleanUpShadow(kafkaOf(ctx.brokers), redis, pipeline, plan)));
    rmSync(shadowStatePath(stateDir, plan.name), { force: true });
    return ShadowExitCode.ok;
  } catch (error) {
    ctx.err(`conveyor shadow stop: ${(error as Error).message}\n`);
    return ShadowExitCode.unreachable;
  } finally {
    redis.disconnect();
  }
}
