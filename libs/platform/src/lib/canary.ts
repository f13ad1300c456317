import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findFreePort, findWorkspaceRoot } from '@conveyor/kafka-local';
import { consumerGroup, serviceName, topicName, type PipelineDefinition, type StageDefinition } from '@conveyor/pipeline';
import { PIPELINES } from '@conveyor/pipelines';
import { Kafka, logLevel } from 'kafkajs';
import { stageServiceSpec } from './local-platform';
import { ProcessSupervisor, type ServiceSpec } from './process-supervisor';
import type { StageProcessRef } from './status';

/*
 * A partition canary (docs/architecture.md, "Canary"): one more process of a
 * live stage, with other settings, in the stage's LIVE consumer group. Kafka's
 * group protocol gives it its share of the input partitions; what it emits
 * carries its own version identity (conveyor-versions header, results'
 * `versions`), and `conveyor status` shows it beside the live version. Rolling
 * back is stopping it: SIGTERM drains it, it leaves the group, and its
 * partitions go back to the live replicas from the offsets it committed.
 */

/** A usage error (exit 2): an unknown pipeline or stage, a malformed or reserved setting, a name in use. */
export class CanaryUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CanaryUsageError';
  }
}

/** Variables that tie a process to its live stage and group, or say where it runs: `canary start` sets them itself. */
export const RESERVED_CANARY_VARIABLES = ['PIPELINE', 'STAGE', 'TOPIC_PREFIX', 'KAFKA_BROKERS', 'REDIS_URL', 'HTTP_PORT', 'HTTP_HOST', 'KAFKA_CLIENT_ID'] as const;

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** `--set ENV=value…` as an environment; a malformed, repeated or reserved name is a usage error. */
export function parseCanarySettings(sets: readonly string[]): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const entry of sets) {
    const eq = entry.indexOf('=');
    const name = eq < 0 ? entry : entry.slice(0, eq);
    if (eq < 1 || !ENV_NAME.test(name)) {
      throw new CanaryUsageError(`--set wants ENV=value with an upper-case variable name, e.g. --set MAX_PAGE_SIDE=1536 (got "${entry}")`);
    }
    if ((RESERVED_CANARY_VARIABLES as readonly string[]).includes(name)) {
      throw new CanaryUsageError(`--set ${name}: the canary keeps the live stage's ${RESERVED_CANARY_VARIABLES.join(', ')} (same group, its own port); set another variable`);
    }
    if (name in settings) throw new CanaryUsageError(`--set ${name} given twice`);
    settings[name] = entry.slice(eq + 1);
  }
  return settings;
}

/** The pipeline and stage a canary joins; unknown names are usage errors that list the known ones. */
export function resolveCanaryStage(
  definitions: readonly PipelineDefinition[],
  pipelineName: string,
  stageName: string,
): { pipeline: PipelineDefinition; stage: StageDefinition } {
  const pipeline = definitions.find((p) => p.name === pipelineName);
  if (!pipeline) throw new CanaryUsageError(`unknown pipeline "${pipelineName}" (pipelines: ${definitions.map((p) => p.name).join(', ')})`);
  const stage = pipeline.stages.find((s) => s.name === stageName);
  if (!stage) throw new CanaryUsageError(`pipeline ${pipeline.name} has no stage "${stageName}" (stages: ${pipeline.stages.map((s) => s.name).join(', ')})`);
  return { pipeline, stage };
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Where running canaries register themselves for `conveyor status` (one JSON file each). */
export function defaultCanaryDir(root = findWorkspaceRoot()): string {
  return join(root, '.conveyor', 'canary');
}

/** What a running canary registers (`<dir>/<name>.json`), and `conveyor status` reads. */
export interface CanaryRecord {
  name: string;
  pipeline: string;
  stage: string;
  /** `<pipeline>-<stage>`: the live service it joins. */
  service: string;
  url: string;
  /** The `conveyor canary start` process that owns it: a record whose owner is gone is stale. */
  pid: number;
  topicPrefix: string;
  groupId: string;
  settings: Record<string, string>;
  startedAt: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The canaries running under `topicPrefix` (records of dead owners are removed). */
export function readCanaries(dir: string, topicPrefix: string): CanaryRecord[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const records: CanaryRecord[] = [];
  for (const file of files.sort()) {
    let record: CanaryRecord;
    try {
      record = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CanaryRecord;
    } catch {
      continue;
    }
    if (typeof record.pid !== 'number' || !isAlive(record.pid)) {
      rmSync(join(dir, file), { force: true });
      continue;
    }
    if (record.topicPrefix === topicPrefix) records.push(record);
  }
  return records;
}

/** Canaries as extra processes for `collectStatus`. */
export function canaryProcesses(records: readonly CanaryRecord[]): StageProcessRef[] {
  return records.map((r) => ({ service: r.service, name: r.name, url: r.url, canary: true }));
}

export interface CanaryOptions {
  pipeline: string;
  stage: string;
  /** The new version: environment on top of the live stage's (`--set`). */
  settings: Record<string, string>;
  /** Default `<pipeline>-<stage>-canary`. */
  name?: string;
  brokers: string[];
  redisUrl: string;
  /** The live platform's TOPIC_PREFIX: the canary's topics and group are the live ones. */
  topicPrefix: string;
  /** Health and metrics port; 0 = a free one. */
  httpPort: number;
  /** Environment beneath the settings (LOG_LEVEL, ORT_*, OCR_MODEL_DIR…). */
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** Where it registers for `conveyor status` (default `.conveyor/canary`). */
  stateDir?: string;
  definitions?: readonly PipelineDefinition[];
  readyTimeoutMs?: number;
  /** How the process is started (default: the stage's app from sources, as `conveyor up` starts it). */
  spec?: (name: string, app: string, root: string, env: NodeJS.ProcessEnv) => ServiceSpec;
}

export interface RunningCanary {
  record: CanaryRecord;
  supervisor: ProcessSupervisor;
  /** Rollback: SIGTERM (the stage drains, commits and leaves the group), then its registration is removed. */
  stop(): Promise<void>;
}

/**
 * Starts a canary of a running stage and resolves once it reports ready (it
 * has joined the live group and holds its partitions). The live pipeline must
 * be running: its input topic must exist. A canary that dies is restarted like
 * a stage of `conveyor up`.
 */
export async function startCanary(options: CanaryOptions): Promise<RunningCanary> {
  const definitions = options.definitions ?? PIPELINES;
  const { pipeline, stage } = resolveCanaryStage(definitions, options.pipeline, options.stage);
  const name = options.name ?? `${serviceName(pipeline, stage)}-canary`;
  if (!NAME.test(name)) throw new CanaryUsageError(`--name "${name}": lower-case letters, digits and '-', at most 63 characters`);
  const dir = options.stateDir ?? defaultCanaryDir();
  const taken = readCanaries(dir, options.topicPrefix).find((r) => r.name === name);
  if (taken) throw new CanaryUsageError(`a canary named ${name} is already running (pid ${taken.pid}); stop it first or pass another --name`);

  const topic = topicName(pipeline, stage.input, options.topicPrefix);
  const groupId = `${options.topicPrefix}${consumerGroup(pipeline, stage)}`;
  const admin = new Kafka({ clientId: 'conveyor-canary', brokers: options.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) {
      throw new CanaryUsageError(`topic ${topic} does not exist: is the live pipeline running here (conveyor up, same TOPIC_PREFIX "${options.topicPrefix}")?`);
    }
    const { groups } = await admin.describeGroups([groupId]);
    const members = groups[0]?.members.length ?? 0;
    if (members === 0) options.log(`warning: group ${groupId} has no live member: the canary will take every partition of ${topic}`);
  } finally {
    await admin.disconnect();
  }

  const port = options.httpPort === 0 ? await findFreePort() : options.httpPort;
  const url = `http://127.0.0.1:${port}`;
  const root = findWorkspaceRoot();
  const env: NodeJS.ProcessEnv = {
    ...options.env,
    ...options.settings,
    PIPELINE: pipeline.name,
    STAGE: stage.name,
    KAFKA_BROKERS: options.brokers.join(','),
    REDIS_URL: options.redisUrl,
    TOPIC_PREFIX: options.topicPrefix,
    HTTP_PORT: String(port),
    // Its own client id, so `kafka-consumer-groups --describe` (and status' groupMembers) tell it apart.
    KAFKA_CLIENT_ID: `conveyor-${name}`,
  };
  const spec = (options.spec ?? stageServiceSpec)(name, stage.app, root, env);
  let exitedEarly = false;
  let ready = false;
  const supervisor = new ProcessSupervisor([spec], {
    write: options.log,
    onEvent: (event) => {
      if (event.type === 'exited' && !ready) exitedEarly = true;
    },
  });
  const record: CanaryRecord = {
    name,
    pipeline: pipeline.name,
    stage: stage.name,
    service: serviceName(pipeline, stage),
    url,
    pid: process.pid,
    topicPrefix: options.topicPrefix,
    groupId,
    settings: options.settings,
    startedAt: new Date().toISOString(),
  };
  const file = join(dir, `${name}.json`);
  const unregister = () => rmSync(file, { force: true });
  supervisor.startAll();
  try {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 180_000);
    for (;;) {
      if (exitedEarly) throw new Error(`canary ${name} exited during start-up (see its log lines above)`);
      if (await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false)) break;
      if (Date.now() > deadline) throw new Error(`canary ${name} not ready after ${options.readyTimeoutMs ?? 180_000} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
    ready = true;
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  } catch (error) {
    await supervisor.stopAll();
    throw error;
  }
  return {
    record,
    supervisor,
    stop: async () => {
      try {
        await supervisor.stopAll();
      } finally {
        unregister();
      }
    },
  };
}
