import type { PipelineDefinition, StageDefinition } from './definition';
import { consumerGroup, serviceName } from './derive';

/** A stage together with the pipeline it belongs to. */
export interface PipelineStage {
  pipeline: PipelineDefinition;
  stage: StageDefinition;
}

/**
 * Checks that pipelines can share one cluster: distinct names (hence distinct
 * topics, groups and services) and distinct result key prefixes.
 */
export function assertDistinctPipelines(pipelines: readonly PipelineDefinition[]): void {
  const seen = new Set<string>();
  const prefixes = new Set<string>();
  for (const p of pipelines) {
    if (seen.has(p.name)) throw new Error(`two pipelines are named "${p.name}"`);
    seen.add(p.name);
    const prefix = p.output.redisKeyPrefix ?? `conveyor:${p.name}:result:`;
    if (prefixes.has(prefix)) throw new Error(`pipelines share the result key prefix "${prefix}"`);
    prefixes.add(prefix);
  }
}

/** Selects pipelines by name (all when `names` is empty); unknown names are an error listing the known ones. */
export function selectPipelines(all: readonly PipelineDefinition[], names: readonly string[]): PipelineDefinition[] {
  if (names.length === 0) return [...all];
  const unknown = names.filter((n) => !all.some((p) => p.name === n));
  if (unknown.length > 0) throw new Error(`unknown pipeline ${unknown.join(', ')} (known: ${all.map((p) => p.name).join(', ')})`);
  return all.filter((p) => names.includes(p.name));
}

/** Every stage of the given pipelines, in pipeline order. */
export function allStages(pipelines: readonly PipelineDefinition[]): PipelineStage[] {
  return pipelines.flatMap((pipeline) => pipeline.stages.map((stage) => ({ pipeline, stage })));
}

/**
 * Which pipeline stage a process runs: `PIPELINE` and `STAGE` from its
 * environment; when absent (e.g. `nx serve <app>`), the first pipeline and
 * stage that use the app.
 */
export function resolvePipelineStage(
  all: readonly PipelineDefinition[],
  app: string,
  env: { PIPELINE?: string; STAGE?: string },
): PipelineStage {
  const pipelineName = env.PIPELINE?.trim() || all.find((p) => p.stages.some((s) => s.app === app))?.name;
  if (!pipelineName) throw new Error(`no pipeline uses the app "${app}"; set PIPELINE and STAGE`);
  const pipeline = all.find((p) => p.name === pipelineName);
  if (!pipeline) throw new Error(`PIPELINE=${pipelineName} is not a known pipeline (known: ${all.map((p) => p.name).join(', ')})`);
  const stageName = env.STAGE?.trim() || pipeline.stages.find((s) => s.app === app)?.name;
  const stage = pipeline.stages.find((s) => s.name === stageName);
  if (!stage) {
    const mine = pipeline.stages.filter((s) => s.app === app).map((s) => s.name);
    throw new Error(`STAGE=${stageName ?? ''} is not a stage of pipeline ${pipeline.name} run by app ${app} (its stages for this app: ${mine.join(', ') || 'none'})`);
  }
  if (stage.app !== app) throw new Error(`stage ${pipeline.name}/${stage.name} is run by app ${stage.app}, not ${app}`);
  return { pipeline, stage };
}

/** A one-line description for logs: `ocr/inference (app inference, group conveyor-ocr-inference)`. */
export function describeStage({ pipeline, stage }: PipelineStage): string {
  return `${pipeline.name}/${stage.name} (app ${stage.app}, service ${serviceName(pipeline, stage)}, group ${consumerGroup(pipeline, stage)})`;
}
