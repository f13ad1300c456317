import { ConfigError, loadConfig, stageRuntimeConfigSchema } from '@conveyor/config';
import { resolvePipelineStage, stageBinding, stageEnvironment, type PipelineDefinition } from '@conveyor/pipeline';
import type { StageRuntimeSettings } from '@conveyor/stage-runtime';
import type { StageApp } from './define-stage';
import { stageConfigHash, stagePackageVersion } from './stage-identity';
import type { PipelineStageContext } from './tokens';

/** The HTTP port a stage listens on unless HTTP_PORT says otherwise (containers map it; the launcher sets one per process). */
export const DEFAULT_STAGE_HTTP_PORT = 8080;

export interface LoadedStageConfig {
  settings: StageRuntimeSettings;
  context: PipelineStageContext;
  /** The stage's own variables, parsed. */
  stageConfig: Record<string, unknown>;
  /** Package/image version and configuration hash (full SHA-256 hex) of this stage process. */
  identity: { version: string; configHash: string };
}

/** The full schema of a stage app: the runtime's variables and the stage's own. */
export function stageConfigSchema(app: StageApp, clientId = `conveyor-${app.app}`) {
  return stageRuntimeConfigSchema({ clientId, httpPort: DEFAULT_STAGE_HTTP_PORT }).extend(app.config ?? {});
}

/**
 * Which pipeline stage this is (PIPELINE/STAGE), its defaults from the
 * definition beneath the real environment, then every variable validated at
 * once: throws ConfigError listing each problem.
 */
export function loadStageConfig(app: StageApp, pipelines: readonly PipelineDefinition[], env: NodeJS.ProcessEnv): LoadedStageConfig {
  let resolved;
  try {
    resolved = resolvePipelineStage(pipelines, app.app, { PIPELINE: env['PIPELINE'], STAGE: env['STAGE'] });
  } catch (error) {
    throw new ConfigError([{ variable: 'PIPELINE/STAGE', message: (error as Error).message }]);
  }
  const { pipeline, stage } = resolved;
  const merged = { ...stageEnvironment(pipeline, stage), ...definedOnly(env) };
  const clientId = `conveyor-${pipeline.name}-${stage.name}`;
  // Validated as a whole first, so every problem is listed at once; then the runtime's part again for its types.
  const all: Record<string, unknown> = loadConfig(stageConfigSchema(app, clientId), merged);
  const c = loadConfig(stageRuntimeConfigSchema({ clientId, httpPort: DEFAULT_STAGE_HTTP_PORT }), merged);
  const defined = stageBinding(pipeline, stage.name);
  // RESULT_KEY_PREFIX: a shadow's results (same request ids) go to keys of their own, never the live ones.
  const binding = c.RESULT_KEY_PREFIX === undefined ? defined : { ...defined, resultKeyPrefix: c.RESULT_KEY_PREFIX };
  const settings: StageRuntimeSettings = {
    stage: stage.name,
    brokers: c.KAFKA_BROKERS,
    clientId: c.KAFKA_CLIENT_ID,
    redisUrl: c.REDIS_URL,
    topicPrefix: c.TOPIC_PREFIX,
    inputTopic: c.INPUT_TOPIC,
    topics: binding.topics,
    groupId: binding.groupId,
    logLevel: c.LOG_LEVEL,
    httpHost: c.HTTP_HOST,
    httpPort: c.HTTP_PORT,
    maxInFlight: c.MAX_IN_FLIGHT,
    claimCheckThresholdBytes: c.CLAIM_CHECK_THRESHOLD_BYTES,
    claimTtlSeconds: c.CLAIM_TTL_SECONDS,
    maxMessageBytes: c.MAX_MESSAGE_BYTES,
    shutdownGraceMs: c.SHUTDOWN_GRACE_MS,
    rebalanceTimeoutMs: c.REBALANCE_TIMEOUT_MS,
    sessionTimeoutMs: c.KAFKA_SESSION_TIMEOUT_MS,
    poison: { maxCrashes: c.POISON_MAX_CRASHES, markerTtlSeconds: c.POISON_MARKER_TTL_SECONDS },
    retry: { maxAttempts: c.RETRY_MAX_ATTEMPTS, initialBackoffMs: c.RETRY_BACKOFF_MS, maxBackoffMs: 5_000 },
    batch: { maxSize: c.BATCH_MAX_SIZE, maxWaitMs: c.BATCH_MAX_WAIT_MS },
  };
  // Already parsed with the rest: the stage's own keys, as their schemas made them.
  const own = pickKeys(all, Object.keys(app.config ?? {}));
  const identity = { version: stagePackageVersion(env), configHash: stageConfigHash(all, app.unhashedConfig) };
  return { settings, context: { pipeline, stage, binding, resultTtlSeconds: c.RESULT_TTL_SECONDS }, stageConfig: own, identity };
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

function pickKeys(values: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, values[k]]));
}
