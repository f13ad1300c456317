import type { RetryPolicy } from './backoff';
import type { BatchOptions } from './micro-batcher';

/** Everything the runtime needs to run one stage process (built from validated config). */
export interface StageRuntimeSettings {
  stage: string;
  brokers: string[];
  /** Kafka client id (default conveyor-<stage>). */
  clientId?: string;
  redisUrl: string;
  topicPrefix: string;
  /** The topic the `input` handler consumes, as it is (default: the bound input under `topicPrefix`); a shadow's first stage reads the live one. */
  inputTopic?: string;
  /** Logical topic names (`input`, `output`, `output.<name>`, `results`) → topics, from the pipeline definition. */
  topics?: Readonly<Record<string, string>>;
  /** Consumer group (TOPIC_PREFIX is prepended); default `conveyor-<stage>`. */
  groupId?: string;
  logLevel: string;
  httpHost: string;
  /** 0 picks a free port (tests). */
  httpPort: number;
  maxInFlight: number;
  claimCheckThresholdBytes: number;
  claimTtlSeconds: number;
  maxMessageBytes: number;
  shutdownGraceMs: number;
  /**
   * How long the group waits for every member to rejoin once a rebalance
   * starts (kafkajs `rebalanceTimeout`); default 60 s. A member still busy
   * after it is evicted: the runtime stops starting messages as soon as a
   * heartbeat reports the rebalance, so this must cover the slowest message.
   */
  rebalanceTimeoutMs?: number;
  /**
   * How long the group coordinator waits for a silent member before giving
   * its partitions to the others (kafkajs `sessionTimeout`); default 30 s. A
   * stage process that died holds its partitions this long.
   */
  sessionTimeoutMs?: number;
  /**
   * Poison quarantine (attempt markers in Redis): an input that was in flight
   * when stage processes died `maxCrashes` times is dead-lettered as POISON
   * without running the handler. 0 turns it off; default 2, markers kept a day.
   */
  poison?: { maxCrashes: number; markerTtlSeconds: number };
  retry: RetryPolicy;
  /** Overrides the batch options of handlers that ask for batches (per deployment: CPU vs GPU). */
  batch?: Partial<BatchOptions>;
}

export const STAGE_SETTINGS = Symbol('STAGE_SETTINGS');
export const STAGE_REDIS = Symbol('STAGE_REDIS');
export const STAGE_LOGGER = Symbol('STAGE_LOGGER');
