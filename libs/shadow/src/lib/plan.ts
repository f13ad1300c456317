import { ANNOUNCED_REDIS_KEY_PREFIX } from '@conveyor/contracts';
import {
  consumerGroup,
  DEAD_LETTER_SUFFIX,
  findStage,
  pipelineTopics,
  resultKeyPrefix,
  serviceName,
  topicName,
  type PipelineDefinition,
  type StageDefinition,
  type TopicSpec,
} from '@conveyor/pipeline';
import { parseStageSetting, settingsByStage } from '@conveyor/replay';

/**
 * A shadow (docs/architecture.md, "Shadow"): a new version of one stage of a
 * pipeline, run beside the live one as a consumer group of its own on the live
 * input topic, with the stages after it in shadow too. Everything it writes is
 * its own: topics and groups under `<live prefix>shadow.<name>.`, results under
 * `conveyor:shadow:<name>:<pipeline>:result:`. Pure functions, no I/O.
 */

/** `--set <stage>.<ENV>=<value>` on a shadow stage, by stage: variable → value. */
export type StageSettings = Record<string, Record<string, string>>;

export interface ShadowPlan {
  version: 1;
  name: string;
  pipeline: string;
  /** The stage whose new version the shadow runs (its entry stage). */
  stage: string;
  /** The shadow's stages: the entry stage and every stage after it, in definition order. */
  stages: string[];
  /** TOPIC_PREFIX of the live pipeline (the entry stage reads the live input topic under it). */
  liveTopicPrefix: string;
  /** TOPIC_PREFIX of the shadow's stages: `<live prefix>shadow.<name>.`. */
  topicPrefix: string;
  /** The live input topic the entry stage reads. */
  liveInputTopic: string;
  /** Where the shadow's results are announced (the comparer reads them). */
  resultsTopic: string;
  /** Redis key prefix of the live results (read only). */
  liveResultKeyPrefix: string;
  /** RESULT_KEY_PREFIX of the shadow's stages. */
  resultKeyPrefix: string;
  /** The comparer's consumer group on the shadow results topic. */
  comparerGroup: string;
  set: StageSettings;
}

/** A shadow name names topics, groups, Redis keys and state files: a DNS label of at most 40 characters. */
const NAME = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;

export function shadowNameProblem(name: string): string | undefined {
  return NAME.test(name) ? undefined : `--name must be 1-40 lower-case letters, digits or "-", starting and ending with a letter or digit (got "${name}")`;
}

export function shadowTopicPrefix(liveTopicPrefix: string, name: string): string {
  return `${liveTopicPrefix}shadow.${name}.`;
}

export function shadowResultKeyPrefix(pipeline: PipelineDefinition, name: string): string {
  return `conveyor:shadow:${name}:${pipeline.name}:result:`;
}

/**
 * The entry stage and every stage downstream of it (reached through the
 * topics the shadow's stages write), in definition order.
 */
export function downstreamStages(pipeline: PipelineDefinition, stageName: string): StageDefinition[] {
  const entry = findStage(pipeline, stageName);
  const included = new Set<string>([entry.name]);
  const written = new Set<string>(outputsOf(entry));
  for (let grown = true; grown; ) {
    grown = false;
    for (const stage of pipeline.stages) {
      if (included.has(stage.name) || !written.has(stage.input)) continue;
      included.add(stage.name);
      for (const topic of outputsOf(stage)) written.add(topic);
      grown = true;
    }
  }
  return pipeline.stages.filter((s) => included.has(s.name));
}

function outputsOf(stage: StageDefinition): string[] {
  return [...(stage.output ? [stage.output] : []), ...Object.values(stage.outputs ?? {})];
}

export function planShadow(options: { name: string; pipeline: PipelineDefinition; stage: string; liveTopicPrefix: string; set?: StageSettings }): ShadowPlan {
  const { name, pipeline, stage, liveTopicPrefix } = options;
  const problem = shadowNameProblem(name);
  if (problem) throw new Error(problem);
  const stages = downstreamStages(pipeline, stage).map((s) => s.name);
  for (const target of Object.keys(options.set ?? {})) {
    if (!stages.includes(target)) throw new Error(`--set ${target}.…: stage ${target} is not in the shadow (its stages: ${stages.join(', ')})`);
  }
  const topicPrefix = shadowTopicPrefix(liveTopicPrefix, name);
  const entry = findStage(pipeline, stage);
  return {
    version: 1,
    name,
    pipeline: pipeline.name,
    stage,
    stages,
    liveTopicPrefix,
    topicPrefix,
    liveInputTopic: topicName(pipeline, entry.input, liveTopicPrefix),
    resultsTopic: topicName(pipeline, pipeline.output.topic, topicPrefix),
    liveResultKeyPrefix: resultKeyPrefix(pipeline),
    resultKeyPrefix: shadowResultKeyPrefix(pipeline, name),
    comparerGroup: `${topicPrefix}conveyor-shadow-compare`,
    set: options.set ?? {},
  };
}

/**
 * The topics the shadow creates (and deletes when it stops): those its stages
 * write, and a dead-letter topic for each input of its stages, all under its
 * prefix. The live input topic is only read.
 */
export function shadowTopics(pipeline: PipelineDefinition, plan: ShadowPlan, partitions: number): TopicSpec[] {
  const stages = plan.stages.map((s) => findStage(pipeline, s));
  const written = new Set(stages.flatMap((s) => outputsOf(s)).map((key) => topicName(pipeline, key, plan.topicPrefix)));
  const dlqs = new Set(stages.map((s) => `${topicName(pipeline, s.input, plan.topicPrefix)}${DEAD_LETTER_SUFFIX}`));
  const all = pipelineTopics(pipeline, { prefix: plan.topicPrefix, partitions, deadLetterPartitions: 1 });
  const specs = all.filter((t) => written.has(t.topic) || dlqs.has(t.topic));
  // A DLQ of the entry stage's input exists in the definition only under the live topic's name: made here if missing.
  for (const dlq of dlqs) {
    if (!specs.some((t) => t.topic === dlq)) specs.push({ topic: dlq, partitions: 1, config: {} });
  }
  return specs;
}

/** The consumer groups the shadow's stages and comparer join (TOPIC_PREFIX applied). */
export function shadowGroups(pipeline: PipelineDefinition, plan: ShadowPlan): string[] {
  return [...plan.stages.map((s) => `${plan.topicPrefix}${consumerGroup(pipeline, s)}`), plan.comparerGroup];
}

/**
 * What each shadow stage process gets on top of the launcher's environment, by
 * process name (`ocr-preprocess`): its own RESULT_KEY_PREFIX; for the entry
 * stage INPUT_TOPIC = the live input topic; the `--set` variables.
 */
export function shadowStageEnv(pipeline: PipelineDefinition, plan: ShadowPlan): Record<string, Record<string, string>> {
  const env: Record<string, Record<string, string>> = {};
  for (const stage of plan.stages) {
    env[serviceName(pipeline, stage)] = {
      ...plan.set[stage],
      RESULT_KEY_PREFIX: plan.resultKeyPrefix,
      ...(stage === plan.stage ? { INPUT_TOPIC: plan.liveInputTopic } : {}),
    };
  }
  return env;
}

/**
 * Redis key patterns (SCAN MATCH) of everything the shadow may leave in Redis:
 * its results (and, for redaction, images) under its result prefix, their
 * announced markers, the claim checks and attempt markers of its stages
 * (written under its topic prefix).
 */
export function shadowRedisPatterns(plan: ShadowPlan): string[] {
  return [
    `${plan.resultKeyPrefix}*`,
    `${ANNOUNCED_REDIS_KEY_PREFIX}${plan.resultKeyPrefix}*`,
    `conveyor:claim:${plan.topicPrefix}*`,
    `conveyor:attempts:${plan.topicPrefix}*`,
  ];
}

/** The request id of a shadow result key, or undefined for another key under its prefix (a redaction image). */
export function requestIdOfShadowKey(plan: ShadowPlan, key: string): string | undefined {
  if (!key.startsWith(plan.resultKeyPrefix)) return undefined;
  const id = key.slice(plan.resultKeyPrefix.length);
  return id.startsWith('image:') ? undefined : id;
}

/** Parses `<stage>.<ENV>=<value>` settings (replay's parser) into stage → variable → value, later ones winning. */
export function parseShadowSettings(texts: readonly string[], pipeline: PipelineDefinition): StageSettings {
  return settingsByStage(texts.map((text) => parseStageSetting(text, pipeline)));
}
