import { z } from 'zod';

/**
 * The pipeline definition: one typed value per pipeline (`pipelines/<name>/pipeline.ts`)
 * from which everything that names stages or topics is derived — topic creation,
 * the local launcher, `conveyor status`, compose, Prometheus, Grafana and the
 * Kubernetes manifests (docs/architecture.md, "Pipelines as data").
 */

/** Lower-case DNS label: usable as a Kubernetes name, a compose service, a topic and a group id part. */
const DNS_LABEL = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;
const dnsLabel = (what: string) => z.string().regex(DNS_LABEL, `${what} must be a lower-case DNS label (a-z, 0-9, "-", at most 32 chars)`);
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

export const TopicDefinitionSchema = z.strictObject({
  /** Partitions when the topic is created (default: the platform's, 4 locally). */
  partitions: z.number().int().positive().max(10_000).optional(),
  /** Topic-level Kafka configs (e.g. `max.message.bytes`, `retention.ms`), applied when the topic is created. */
  config: z.record(z.string().regex(/^[a-z][a-z0-9.]*$/, 'Kafka config names are dotted lower case'), z.string()).optional(),
  description: z.string().optional(),
});

export const ResourcesSchema = z.strictObject({
  /** Kubernetes CPU request, e.g. `250m`. */
  cpu: z.string().regex(/^\d+(\.\d+)?m?$/, 'CPU is a Kubernetes quantity such as 250m or 1'),
  /** Kubernetes memory request and limit, e.g. `512Mi`. */
  memory: z.string().regex(/^\d+(Ki|Mi|Gi)$/, 'memory is a Kubernetes quantity such as 512Mi or 1Gi'),
  /** CPU limit (default: none, so a stage may burst onto idle cores). */
  cpuLimit: z.string().regex(/^\d+(\.\d+)?m?$/).optional(),
});

export const StageDefinitionSchema = z.strictObject({
  /** The stage's name in this pipeline: its consumer group, metrics label and deployment name part. */
  name: dnsLabel('a stage name'),
  /** The Nx app (and container image) whose handler runs this stage; one app can serve several pipelines. */
  app: dnsLabel('an app name'),
  description: z.string().optional(),
  /** Logical topic (a key of `topics`) this stage consumes. */
  input: z.string(),
  /** Logical topic the handler's default output goes to (absent: the stage only writes results elsewhere). */
  output: z.string().optional(),
  /** Further outputs a handler addresses as `output.<name>`. */
  outputs: z.record(dnsLabel('an output name'), z.string()).optional(),
  /** Processes (replicas) of this stage: the local launcher starts this many; Kubernetes' minimum. */
  replicas: z.number().int().positive().max(64).default(1),
  /** Kubernetes' most replicas when autoscaling on consumer lag. */
  maxReplicas: z.number().int().positive().max(1_000).optional(),
  /** Messages worked on at once per process (MAX_IN_FLIGHT). */
  maxInFlight: z.number().int().positive().max(1_024).optional(),
  /** Dynamic batching across messages (BATCH_MAX_SIZE, BATCH_MAX_WAIT_MS) for handlers that take batches. */
  batch: z.strictObject({ maxSize: z.number().int().positive().max(1_024), maxWaitMs: z.number().int().nonnegative().max(60_000).optional() }).optional(),
  /** The stage's own configuration in this pipeline: environment defaults every deployment gets. */
  env: z.record(z.string(), z.string()).default({}),
  /** Models the stage loads (shown in docs and status; their files come with the app's dependencies). */
  models: z.array(z.string()).default([]),
  resources: ResourcesSchema.default({ cpu: '100m', memory: '256Mi' }),
  /** `optional`: runs on CPU, the gpu overlay/compose file puts it on a GPU; `required`: always scheduled on a GPU. */
  gpu: z.enum(['none', 'optional', 'required']).default('none'),
});

export const PipelineDefinitionSchema = z
  .strictObject({
    /** Pipeline name: the namespace of its topics (`<name>.<topic>`), groups and services. */
    name: dnsLabel('a pipeline name'),
    description: z.string(),
    /** Logical topic → its settings. The Kafka topic is `<TOPIC_PREFIX><name>.<key>`. */
    topics: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'topic keys are lower case'), TopicDefinitionSchema),
    /** Where producers publish requests. */
    input: z.strictObject({
      topic: z.string(),
      /** CloudEvent type producers put in `ce_type`. */
      eventType: z.string().min(1),
      /** Media types accepted as the request's value (`content-type`). */
      contentTypes: z.array(z.string()).min(1),
    }),
    /** Where results land: a JSON result event per request on `topic`, and in Redis. */
    output: z.strictObject({
      topic: z.string(),
      /** The result's `schema` (and CloudEvent type), e.g. `conveyor.ocr.result.v1`. */
      resultSchema: z.string().min(1),
      /** Redis key prefix of results (default `conveyor:<name>:result:`). */
      redisKeyPrefix: z.string().regex(/^[A-Za-z0-9:._-]+$/).optional(),
      /** The pipeline's own fields in a failed result (e.g. `lines: []`), so readers of the ok shape need no special case. */
      failedFields: z.record(z.string(), z.unknown()).default({}),
    }),
    stages: z.array(StageDefinitionSchema).min(1),
  })
  .superRefine((p, ctx) => {
    const topics = new Set(Object.keys(p.topics));
    const problem = (message: string, path: (string | number)[]) => ctx.addIssue({ code: 'custom', message, path });
    if (!topics.has(p.input.topic)) problem(`input topic "${p.input.topic}" is not one of topics`, ['input', 'topic']);
    if (!topics.has(p.output.topic)) problem(`output topic "${p.output.topic}" is not one of topics`, ['output', 'topic']);
    const names = new Set<string>();
    const producedBy = new Map<string, string>();
    p.stages.forEach((s, i) => {
      if (names.has(s.name)) problem(`stage "${s.name}" is defined twice`, ['stages', i, 'name']);
      names.add(s.name);
      if (!topics.has(s.input)) problem(`stage "${s.name}" consumes "${s.input}", which is not one of topics`, ['stages', i, 'input']);
      for (const [key, topic] of Object.entries({ ...(s.output ? { output: s.output } : {}), ...s.outputs })) {
        if (!topics.has(topic)) problem(`stage "${s.name}" ${key} "${topic}" is not one of topics`, ['stages', i, key]);
        if (topic === p.input.topic) problem(`stage "${s.name}" writes to the input topic "${topic}"`, ['stages', i, key]);
        producedBy.set(topic, s.name);
      }
      for (const key of Object.keys(s.env ?? {})) {
        if (!ENV_NAME.test(key)) problem(`stage "${s.name}" env "${key}": environment variable names are UPPER_SNAKE_CASE`, ['stages', i, 'env', key]);
      }
      if (s.maxReplicas !== undefined && s.maxReplicas < s.replicas) problem(`stage "${s.name}" has maxReplicas below replicas`, ['stages', i, 'maxReplicas']);
    });
    const consumed = new Set(p.stages.map((s) => s.input));
    if (!consumed.has(p.input.topic)) problem(`no stage consumes the input topic "${p.input.topic}"`, ['input', 'topic']);
    for (const topic of topics) {
      if (topic !== p.input.topic && !producedBy.has(topic)) problem(`topic "${topic}" is written by no stage`, ['topics', topic]);
      if (topic !== p.output.topic && !consumed.has(topic) && producedBy.has(topic)) problem(`topic "${topic}" is read by no stage`, ['topics', topic]);
    }
  });

/** A definition as written (defaults may be left out). */
export type PipelineDefinitionInput = z.input<typeof PipelineDefinitionSchema>;
/** A validated definition, defaults filled in. */
export type PipelineDefinition = z.output<typeof PipelineDefinitionSchema>;
export type StageDefinition = z.output<typeof StageDefinitionSchema>;
export type TopicDefinition = z.output<typeof TopicDefinitionSchema>;

export class PipelineDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineDefinitionError';
  }
}

/**
 * Validates a pipeline definition (names, topic references, every topic written
 * and read) and fills in defaults; throws naming every problem with its path.
 */
export function definePipeline(definition: PipelineDefinitionInput): PipelineDefinition {
  const parsed = PipelineDefinitionSchema.safeParse(definition);
  if (parsed.success) return parsed.data;
  const name = typeof definition?.name === 'string' ? definition.name : '(unnamed)';
  const problems = parsed.error.issues.map((issue) => `  ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  throw new PipelineDefinitionError(`pipeline ${name} is invalid:\n${problems.join('\n')}`);
}
