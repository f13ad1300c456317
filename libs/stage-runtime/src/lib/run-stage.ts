import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { AddressInfo } from 'node:net';
import { RedisAttemptMarkers } from './attempt-markers';
import { CLAIM_KEY_PREFIX, RedisClaimCheckStore } from './claim-check';
import type { KafkaClientFactory } from './kafka-clients';
import { KafkaStageTransport } from './kafka-stage.transport';
import { PinoNestLogger } from './logger';
import type { DeadLetterHook, StageObserver } from './observer';
import type { StageVersionSource } from './stage-versions';
import { ReadinessRegistry } from './readiness';
import { STAGE_LOGGER, STAGE_REDIS, STAGE_SETTINGS, type StageRuntimeSettings } from './settings';
import { silenceKafkajsNegativeTimeoutWarning } from './node-warnings';
import { exitAfterStop, SHUTDOWN_HARD_EXIT_SLACK_MS } from './shutdown';

/**
 * Optional parts a pipeline plugs into the runtime, named by their provider
 * classes (the module must provide them): who answers dead-lettered requests,
 * and who observes messages for tracing and metrics.
 */
export interface StageHooks {
  deadLetterHook?: Type<DeadLetterHook>;
  observer?: Type<StageObserver>;
  /** This stage's version entry, appended to `conveyor-versions` of everything it emits. */
  versions?: Type<StageVersionSource>;
}

/** Poison quarantine unless the settings say otherwise: two deaths, markers kept a day. */
export const DEFAULT_POISON_SETTINGS = { maxCrashes: 2, markerTtlSeconds: 86_400 } as const;

/** How the runtime itself is wired, for tests (production uses the defaults). */
export interface StartStageOptions {
  /** Makes the kafkajs clients; tests wrap the real ones to inject faults. */
  kafka?: KafkaClientFactory;
}

export interface RunningStage {
  app: INestApplication;
  transport: KafkaStageTransport;
  /** The HTTP port actually bound (health, metrics). */
  httpPort: number;
  /** Drain (finish in-flight work, commit, leave the group), then close the app. */
  stop(): Promise<void>;
}

/**
 * Starts one stage process: the Nest app (health endpoints over HTTP) with the
 * Kafka stage transport connected as its microservice. The app module must
 * import `StageRuntimeModule.forRoot(settings)`.
 */
export async function startStage(module: Type<unknown>, hooks: StageHooks = {}, options: StartStageOptions = {}): Promise<RunningStage> {
  silenceKafkajsNegativeTimeoutWarning();
  const app = await NestFactory.create(module, { bufferLogs: true, abortOnError: false });
  const settings = app.get<StageRuntimeSettings>(STAGE_SETTINGS);
  const logger = app.get<Logger>(STAGE_LOGGER);
  app.useLogger(new PinoNestLogger(logger));
  const redis = app.get<Redis>(STAGE_REDIS);
  const observer = hooks.observer && app.get(hooks.observer, { strict: false });
  redis.on('error', (error: unknown) => observer?.clientError?.('redis', error));
  const poison = settings.poison ?? DEFAULT_POISON_SETTINGS;
  const transport = new KafkaStageTransport({
    stage: settings.stage,
    brokers: settings.brokers,
    clientId: settings.clientId,
    topicPrefix: settings.topicPrefix,
    inputTopic: settings.inputTopic,
    topics: settings.topics,
    groupId: settings.groupId,
    maxInFlight: settings.maxInFlight,
    rebalanceTimeoutMs: settings.rebalanceTimeoutMs,
    sessionTimeoutMs: settings.sessionTimeoutMs,
    // Kafka's advice: heartbeats at most a third of the session timeout apart.
    heartbeatIntervalMs: Math.min(3_000, Math.floor((settings.sessionTimeoutMs ?? 30_000) / 3)),
    kafka: options.kafka,
    limits: { claimCheckThresholdBytes: settings.claimCheckThresholdBytes, maxMessageBytes: settings.maxMessageBytes },
    // Claims are written under the stage's TOPIC_PREFIX (`conveyor:claim:<prefix><uuid>`), so a shadow's or replay's can be found and removed.
    claims: new RedisClaimCheckStore(redis, settings.claimTtlSeconds, CLAIM_KEY_PREFIX, settings.topicPrefix),
    retry: settings.retry,
    batchOverrides: settings.batch,
    poison: poison.maxCrashes > 0 ? { markers: new RedisAttemptMarkers(redis, poison.markerTtlSeconds), maxCrashes: poison.maxCrashes } : undefined,
    // Results, claim checks and attempt markers live in Redis: while it is down, messages wait for it instead of failing.
    unavailableDependencies: () => (redis.status === 'ready' ? [] : ['redis']),
    deadLetterHook: hooks.deadLetterHook && app.get(hooks.deadLetterHook, { strict: false }),
    observer,
    versions: hooks.versions && app.get(hooks.versions, { strict: false }),
    logger,
  });
  const readiness = app.get(ReadinessRegistry);
  readiness.register('kafka', () => transport.isReady);
  // A consumer kafkajs will not restart consumes nothing: fail liveness so the pod is restarted.
  readiness.registerLiveness('kafka-consumer', () => transport.isLive);
  app.connectMicroservice({ strategy: transport }, { inheritAppConfig: false });
  // Probes first: live at once, ready only once models are loaded and the group is joined.
  await app.listen(settings.httpPort, settings.httpHost);
  const httpPort = (app.getHttpServer().address() as AddressInfo).port;
  logger.info({ httpPort }, 'health endpoints listening');
  try {
    await readiness.startupComplete();
    await app.startAllMicroservices();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  logger.info({ httpPort }, `stage ${settings.stage} started`);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await transport.drain(settings.shutdownGraceMs);
      await app.close();
      logger.info('stage stopped');
    })();
    return stopping;
  };
  return { app, transport, httpPort, stop };
}

/**
 * `main.ts` of a stage service: start, and on SIGTERM/SIGINT drain first (the
 * handlers still need Redis and their models), then close everything and exit.
 * The drain is bounded by SHUTDOWN_GRACE_MS, and a hard timer exits anyway
 * SHUTDOWN_HARD_EXIT_SLACK_MS later. A Kafka consumer that crashed for good
 * also ends the process (exit 1), so the orchestrator restarts it.
 */
export async function runStage(module: Type<unknown>, hooks: StageHooks = {}, options: StartStageOptions = {}): Promise<void> {
  let running: RunningStage;
  try {
    running = await startStage(module, hooks, options);
  } catch (error) {
    process.stderr.write(`${JSON.stringify({ level: 60, msg: 'stage failed to start', err: { message: (error as Error).message, stack: (error as Error).stack } })}\n`);
    process.exit(1);
  }
  const logger = running.app.get<Logger>(STAGE_LOGGER);
  const { shutdownGraceMs } = running.app.get<StageRuntimeSettings>(STAGE_SETTINGS);
  const hardExitMs = shutdownGraceMs + SHUTDOWN_HARD_EXIT_SLACK_MS;
  let exiting = false;
  const shutDown = (reason: string, code: number): void => {
    if (exiting) return;
    exiting = true;
    exitAfterStop(reason, code, { stop: running.stop, hardExitMs, logger });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'shutting down');
    shutDown(signal, 0);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  watchParent(() => onSignal('SIGTERM'));
  running.transport.onFatal((error) => {
    logger.fatal({ err: error }, 'kafka consumer crashed for good; exiting so the stage is restarted');
    shutDown('kafka consumer crashed', 1);
  });
  logger.info({ shutdownGraceMs, hardExitMs }, 'signal handlers installed');
}

/**
 * A stage started by the local platform (`conveyor up`) exits on its own when
 * that parent disappears, even if the parent was SIGKILLed and never got to
 * stop it: no orphaned stage keeps consuming.
 */
function watchParent(onGone: () => void): void {
  const parentPid = Number(process.env['CONVEYOR_PARENT_PID']);
  if (!Number.isInteger(parentPid) || parentPid <= 1) return;
  const timer = setInterval(() => {
    try {
      process.kill(parentPid, 0);
    } catch {
      clearInterval(timer);
      onGone();
    }
  }, 1_000);
  timer.unref();
}
