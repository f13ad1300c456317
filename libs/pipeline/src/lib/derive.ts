import type { PipelineDefinition, StageDefinition } from './definition';

/**
 * What follows from a pipeline definition: Kafka topic names, consumer groups,
 * the topics each stage binds, the environment every deployment of a stage
 * gets. Pure functions: the launcher, status, the stage host and the
 * deployment generator all call these, so no stage list is written twice.
 */

export const DEAD_LETTER_SUFFIX = '.dlq';

/** The Kafka topic of a logical topic: `<prefix><pipeline>.<key>`. */
export function topicName(pipeline: PipelineDefinition, key: string, prefix = ''): string {
  if (!Object.hasOwn(pipeline.topics, key)) throw new Error(`pipeline ${pipeline.name} has no topic "${key}"`);
  return `${prefix}${pipeline.name}.${key}`;
}

export function findStage(pipeline: PipelineDefinition, name: string): StageDefinition {
  const stage = pipeline.stages.find((s) => s.name === name);
  if (!stage) throw new Error(`pipeline ${pipeline.name} has no stage "${name}" (stages: ${pipeline.stages.map((s) => s.name).join(', ')})`);
  return stage;
}

/** Consumer group of a stage (TOPIC_PREFIX is applied by the runtime, as for topics). */
export function consumerGroup(pipeline: PipelineDefinition, stage: StageDefinition | string): string {
  return `conveyor-${pipeline.name}-${typeof stage === 'string' ? stage : stage.name}`;
}

/** Name of a stage's deployment, compose service and metrics job: `<pipeline>-<stage>` (its OTel service is `conveyor-<pipeline>-<stage>`). */
export function serviceName(pipeline: PipelineDefinition, stage: StageDefinition | string): string {
  return `${pipeline.name}-${typeof stage === 'string' ? stage : stage.name}`;
}

/** Redis key prefix of the pipeline's results. */
export function resultKeyPrefix(pipeline: PipelineDefinition): string {
  return pipeline.output.redisKeyPrefix ?? `conveyor:${pipeline.name}:result:`;
}

/** The logical names a stage's handler uses, bound to Kafka topics (without TOPIC_PREFIX). */
export interface StageBinding {
  pipeline: string;
  stage: string;
  app: string;
  groupId: string;
  /** `input`, `output`, `output.<name>` and `results` → topic. */
  topics: Record<string, string>;
  inputTopic: string;
  resultsTopic: string;
  resultSchema: string;
  resultKeyPrefix: string;
}

export function stageBinding(pipeline: PipelineDefinition, stageName: string): StageBinding {
  const stage = findStage(pipeline, stageName);
  const t = (key: string) => topicName(pipeline, key);
  const topics: Record<string, string> = { input: t(stage.input), results: t(pipeline.output.topic) };
  if (stage.output) topics['output'] = t(stage.output);
  for (const [name, key] of Object.entries(stage.outputs ?? {})) topics[`output.${name}`] = t(key);
  return {
    pipeline: pipeline.name,
    stage: stage.name,
    app: stage.app,
    groupId: consumerGroup(pipeline, stage),
    topics,
    inputTopic: topics['input'],
    resultsTopic: topics['results'],
    resultSchema: pipeline.output.resultSchema,
    resultKeyPrefix: resultKeyPrefix(pipeline),
  };
}

/**
 * The environment a stage's deployments get from the definition (launcher,
 * compose, Kubernetes ConfigMaps): which pipeline and stage it is, its
 * batching and concurrency, and its own settings. Real environment wins.
 */
export function stageEnvironment(pipeline: PipelineDefinition, stage: StageDefinition): Record<string, string> {
  return {
    PIPELINE: pipeline.name,
    STAGE: stage.name,
    ...(stage.maxInFlight !== undefined ? { MAX_IN_FLIGHT: String(stage.maxInFlight) } : {}),
    ...(stage.batch ? { BATCH_MAX_SIZE: String(stage.batch.maxSize) } : {}),
    ...(stage.batch?.maxWaitMs !== undefined ? { BATCH_MAX_WAIT_MS: String(stage.batch.maxWaitMs) } : {}),
    ...stage.env,
  };
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** Topic-level configs set at creation. */
  config: Record<string, string>;
}

export interface TopicDefaults {
  prefix?: string;
  /** Partitions of topics whose definition names none. */
  partitions: number;
  /** Partitions of dead-letter topics (they carry little traffic). */
  deadLetterPartitions?: number;
}

/**
 * Every topic the pipeline needs: each logical topic, and a dead-letter topic
 * for each stage input (`<topic>.dlq`, with the input's topic configs so a
 * dead letter of a large input fits).
 */
export function pipelineTopics(pipeline: PipelineDefinition, defaults: TopicDefaults): TopicSpec[] {
  const prefix = defaults.prefix ?? '';
  const specs: TopicSpec[] = Object.entries(pipeline.topics).map(([key, def]) => ({
    topic: topicName(pipeline, key, prefix),
    partitions: def.partitions ?? defaults.partitions,
    config: { ...def.config },
  }));
  const inputs = [...new Set(pipeline.stages.map((s) => s.input))];
  for (const key of inputs) {
    specs.push({
      topic: `${topicName(pipeline, key, prefix)}${DEAD_LETTER_SUFFIX}`,
      partitions: defaults.deadLetterPartitions ?? 1,
      config: { ...pipeline.topics[key].config },
    });
  }
  return specs;
}

/** The apps (images) the given pipelines need, each once, in order of first use. */
export function appsOf(pipelines: readonly PipelineDefinition[]): string[] {
  return [...new Set(pipelines.flatMap((p) => p.stages.map((s) => s.app)))];
}
