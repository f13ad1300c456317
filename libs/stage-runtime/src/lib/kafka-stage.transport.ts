import { CloudEventHeader, deadLetterTopic, headerString, parseTimings, parseVersionsLeniently, type StageVersion } from '@conveyor/contracts';
import { BaseRpcContext, type CustomTransportStrategy, type MessageHandler, Server } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import {
  Partitioners,
  logLevel as KafkaLogLevel,
  type Consumer,
  type EachBatchPayload,
  type KafkaMessage,
  type Message,
  type Producer,
} from 'kafkajs';
import { abortable } from './abortable';
import type { AttemptMarkers, AttemptPosition } from './attempt-markers';
import { backoffDelayMs, defaultRetryPolicy, shouldRetry, type RetryPolicy } from './backoff';
import type { ClaimCheckStore } from './claim-check';
import { ConcurrencyLimiter } from './concurrency-limiter';
import { buildDeadLetter } from './dead-letter';
import { readInbound } from './inbound';
import { createKafkaClients, type KafkaClientFactory } from './kafka-clients';
import { signalsRebalance, type CommitErrorAction } from './kafka-errors';
import { MicroBatcher, type BatchOptions } from './micro-batcher';
import type { DeadLetterHook, RuntimeStep, StageObserver } from './observer';
import { OffsetTracker } from './offset-tracker';
import { PartitionCommitter } from './partition-committer';
import { buildOutbound, type OutboundContext, type OutboundLimits } from './outbound';
import { classifyError, type ClassifiedError } from './stage-error';
import { STAGE_INPUT, STAGE_OUTPUT, stageOptionsOf } from './stage-handler.decorator';
import { outputsOf, type MessageOrigin, type StageMessage, type StageOutput, type StageResult } from './stage-message';
import type { StageLogger } from './logger';
import { runWithVersions, versionsAfter, type StageVersionSource } from './stage-versions';

export interface KafkaStageTransportOptions {
  /** Stage name: consumer group `conveyor-<stage>`, `ce_source`, DLQ and log field. */
  stage: string;
  brokers: string[];
  clientId?: string;
  groupId?: string;
  /** Prepended to every topic the handlers name (isolates pipelines sharing a cluster). */
  topicPrefix?: string;
  /**
   * The topic the `input` handler consumes, as it is (no prefix applied; default: the bound `input` under
   * `topicPrefix`). A shadow's first stage reads the live input topic with it, while its group, outputs, results and
   * dead letters stay under its own `topicPrefix` (docs/architecture.md, "Shadow").
   */
  inputTopic?: string;
  /**
   * Binds the logical names handlers use (`input`, `output`, `output.<name>`)
   * to this deployment's topics, from the pipeline definition; a name not in
   * the map is taken as a topic as it is.
   */
  topics?: Readonly<Record<string, string>>;
  /** Messages processed at once across all partitions. */
  maxInFlight: number;
  /** Partitions whose fetched batches are worked on concurrently. */
  partitionsConsumedConcurrently?: number;
  limits: OutboundLimits;
  claims?: ClaimCheckStore;
  retry?: RetryPolicy;
  deadLetterHook?: DeadLetterHook;
  observer?: StageObserver;
  /** This stage's version entry: appended to `conveyor-versions` on every output (docs/architecture.md, "Versions"). */
  versions?: StageVersionSource;
  logger: StageLogger;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /**
   * How long the group waits for members to rejoin once a rebalance starts
   * (kafkajs `rebalanceTimeout`, default 60 s). The runtime stops starting
   * messages as soon as a heartbeat reports a rebalance, so this must cover
   * the messages already in flight, not the rest of the batch.
   */
  rebalanceTimeoutMs?: number;
  /** Retries of a refused offset commit (default: 5 attempts, 100 ms to 2 s apart). */
  commitRetry?: RetryPolicy;
  /** Retries of a failed dead-letter send, without re-running the handler (default: 5 attempts, 200 ms to 5 s apart). */
  deadLetterRetry?: RetryPolicy;
  /** After the drain's grace: how long leaving the group and closing the clients may take (default 5 s). */
  disconnectTimeoutMs?: number;
  /** Makes the kafkajs clients (default: kafkajs); tests wrap the real ones to inject faults. */
  kafka?: KafkaClientFactory;
  /** Overrides the batch options declared by handlers that ask for batches. */
  batchOverrides?: Partial<BatchOptions>;
  /**
   * Poison quarantine: attempt markers kept outside the process, and how
   * many process deaths an input may cause before it is dead-lettered as
   * `POISON` without running the handler (0 or absent: off).
   */
  poison?: { markers: AttemptMarkers; maxCrashes: number };
  /**
   * Names of the dependencies that are down now (e.g. `redis`). While one is,
   * a transient failure is not counted as an attempt: the message waits for
   * the dependency and is retried then, instead of being dead-lettered
   * because of an outage.
   */
  unavailableDependencies?: () => readonly string[];
}

/** The code of an input dead-lettered because processes died working on it. */
export const POISON_CODE = 'POISON';

/** What the transport decided about a message before starting it (poison quarantine). */
interface Admission {
  /** Its attempt marker (absent: quarantine off, or the marker could not be written). */
  position?: AttemptPosition;
  /** Earlier processes that died working on it. */
  crashes: number;
  /** Dead-letter it as POISON without running the handler. */
  poison: boolean;
  /** Runs alone: a suspect, started while nothing else is in flight. */
  alone: boolean;
  /** Set once the message is settled (outputs acknowledged, or dead-lettered). */
  settled?: boolean;
}

/** Nest's context for a stage handler (`@Ctx()`): the message's origin. */
export class StageContext extends BaseRpcContext<[MessageOrigin]> {
  get origin(): MessageOrigin {
    return this.args[0];
  }
}

interface Route {
  topic: string;
  /** Where its inputs are dead-lettered: `<topicPrefix><bound topic>.dlq`, under this stage's own prefix. */
  deadLetterTopic: string;
  handler: MessageHandler;
  /** Present when the handler asked for batches across messages. */
  batcher?: MicroBatcher<StageMessage, StageResult>;
}

/** Thrown inside the loop when shutdown (or a rebalance) interrupts a wait: the message stays uncommitted. */
class DrainInterrupted extends Error {}

/** How often a wait for a dependency looks again, and logs that it still waits. */
const DEPENDENCY_POLL_MS = 250;
const OUTAGE_LOG_EVERY_MS = 10_000;

/** A failed dead-letter send: cheap retries first (the handler is not run again), then redelivery. */
const defaultDeadLetterRetry: RetryPolicy = { maxAttempts: 5, initialBackoffMs: 200, maxBackoffMs: 5_000 };

/**
 * The stage runtime's transport: a Nest custom transport strategy that owns a
 * kafkajs consumer group (eachBatch, manual commits) and an idempotent producer.
 *
 * Why not Nest's ServerKafka: it consumes with eachMessage only, retries a
 * throwing handler forever on the same offset (one poison message blocks its
 * partition) and garbles binary headers (docs/architecture.md, "Design decisions"). Here a message's offset is
 * committed only once its outputs are acknowledged (acks=-1) or it is in the
 * dead-letter topic; bad input is dead-lettered at once, transient failures are
 * retried with backoff first; shutdown drains in-flight work, commits, and
 * leaves the group.
 */
export class KafkaStageTransport extends Server implements CustomTransportStrategy {
  private consumer?: Consumer;
  private producer?: Producer;
  private readonly routes = new Map<string, Route>();
  private readonly limiter: ConcurrencyLimiter;
  private readonly retry: RetryPolicy;
  private draining = false;
  private drained: Promise<void> | undefined;
  /** Aborted when a drain starts: batches stop starting messages. */
  private readonly drainStarted = new AbortController();
  /** Aborted when the drain's grace is over: batches stop waiting for their in-flight messages. */
  private readonly graceOver = new AbortController();
  /**
   * Aborted when a heartbeat or commit reports that the group is rebalancing
   * (or this member left it); replaced on every join. Batches of the ending
   * generation stop starting messages, finish and commit what is in flight,
   * and return, so kafkajs rejoins within the rebalance timeout.
   */
  private rebalance = new AbortController();
  private joined = false;
  private crashed: Error | undefined;
  private readonly fatalListeners: Array<(error: Error) => void> = [];
  private pausedForBackpressure = false;
  /** Attempt markers of finished messages, cleared together (at each commit, and before a suspect runs alone). */
  private finishedMarkers: AttemptPosition[] = [];
  private clearing: Promise<void> = Promise.resolve();
  private lastOutageLog = 0;

  private readonly clientId: string;
  private readonly groupId: string;

  constructor(private readonly options: KafkaStageTransportOptions) {
    super();
    this.clientId = options.clientId ?? `conveyor-${options.stage}`;
    this.groupId = `${options.topicPrefix ?? ''}${options.groupId ?? `conveyor-${options.stage}`}`;
    this.retry = options.retry ?? defaultRetryPolicy;
    this.limiter = new ConcurrencyLimiter(options.maxInFlight, (saturated) => this.onSaturation(saturated));
  }

  /** Calls an observer notification; an observer's failure never fails a message. */
  private notify<K extends 'consuming' | 'stopped' | 'messageReceived' | 'messageSettled' | 'messageRetried' | 'messageDeadLettered' | 'outputsProduced' | 'batchRun' | 'inFlightChanged' | 'partitionLag' | 'partitionsAssigned' | 'clientError' | 'deadLetterHookFailed'>(
    name: K,
    ...args: Parameters<NonNullable<StageObserver[K]>>
  ): void {
    const fn = this.options.observer?.[name] as ((...a: unknown[]) => void) | undefined;
    if (!fn) return;
    try {
      fn.apply(this.options.observer, args);
    } catch (error) {
      this.options.logger.debug({ err: error, notification: name }, 'observer failed');
    }
  }

  private step<T>(step: RuntimeStep, attributes: Record<string, string | number>, work: () => Promise<T>): Promise<T> {
    const observer = this.options.observer;
    return observer?.aroundStep ? observer.aroundStep(step, attributes, work) : work();
  }

  /** Kafka connected, group joined, not draining: the readiness probe's view of Kafka. */
  get isReady(): boolean {
    return this.joined && !this.draining && !this.crashed;
  }

  /**
   * False once the consumer crashed and kafkajs will not restart it (it gives
   * up on a TypeError or RangeError from eachBatch, or any non-retriable
   * error): the process consumes nothing any more and must be restarted.
   */
  get isLive(): boolean {
    return !this.crashed;
  }

  /** Called once the consumer crashed for good (see isLive), e.g. to exit the process; at once if it already has. */
  onFatal(listener: (error: Error) => void): void {
    this.fatalListeners.push(listener);
    if (this.crashed) listener(this.crashed);
  }

  get inFlight(): number {
    return this.limiter.inFlight;
  }

  topicFor(logicalTopic: string): string {
    return `${this.options.topicPrefix ?? ''}${this.options.topics?.[logicalTopic] ?? logicalTopic}`;
  }

  /** The topic a handler's pattern is consumed from: `inputTopic` for `input` when set, else as topicFor. */
  inputTopicFor(logicalTopic: string): string {
    return logicalTopic === STAGE_INPUT && this.options.inputTopic ? this.options.inputTopic : this.topicFor(logicalTopic);
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      await this.start();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  private async start(): Promise<void> {
    const { stage, brokers, logger } = this.options;
    const kafka = (this.options.kafka ?? createKafkaClients)({
      clientId: this.clientId,
      brokers,
      logLevel: KafkaLogLevel.WARN,
      logCreator: () => (entry) => {
        const { message, ...extra } = entry.log;
        const level = entry.level <= KafkaLogLevel.ERROR ? 'error' : entry.level <= KafkaLogLevel.WARN ? 'warn' : 'debug';
        logger[level]({ kafkajs: entry.namespace, ...extra }, message);
      },
    });
    // The default (murmur2, Java-compatible) partitioner, named so kafkajs does not warn about its v2 change.
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.consumer = kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      // Named, not left to kafkajs' default: it bounds how long a rebalance may wait for our in-flight work.
      rebalanceTimeout: this.options.rebalanceTimeoutMs ?? 60_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 3_000,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      this.joined = true;
      this.crashed = undefined;
      this.rebalance = new AbortController();
      this.notify('partitionsAssigned', event.payload.memberAssignment);
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      logger.error({ err: error, restart }, restart ? 'kafka consumer crashed; kafkajs restarts it' : 'kafka consumer crashed for good');
      this.notify('clientError', 'kafka', error);
      this.joined = false;
      if (!restart) {
        this.crashed = error;
        for (const listener of this.fatalListeners) {
          try {
            listener(error);
          } catch (listenerError) {
            logger.error({ err: listenerError }, 'fatal-crash listener failed');
          }
        }
      }
    });

    for (const [pattern, handler] of this.messageHandlers) {
      const topic = this.inputTopicFor(pattern);
      const { batch } = stageOptionsOf(handler.extras);
      const route: Route = { topic, handler, deadLetterTopic: deadLetterTopic(this.topicFor(pattern)) };
      if (batch) {
        const options = { ...batch, ...this.options.batchOverrides };
        route.batcher = new MicroBatcher<StageMessage, StageResult>(options, (messages) => this.invokeBatch(route, messages));
      }
      this.routes.set(topic, route);
    }
    if (this.routes.size === 0) throw new Error(`stage ${stage} has no @StageHandler`);

    await this.producer.connect();
    await this.consumer.connect();
    // fromBeginning: a stage deployed after producers started must still see their requests.
    await this.consumer.subscribe({ topics: [...this.routes.keys()], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? Math.max(1, this.options.maxInFlight),
      eachBatch: (payload) => this.consumeBatch(payload),
    });
    logger.info({ topics: [...this.routes.keys()], maxInFlight: this.options.maxInFlight }, 'stage consuming');
    this.notify('consuming', { stage, groupId: this.groupId, topics: [...this.routes.keys()], brokers, clientId: this.clientId });
  }

  private async consumeBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, resolveOffset, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    const route = this.routes.get(topic);
    if (!route) return;
    if (!batch.isEmpty()) this.notify('partitionLag', topic, partition, Number(batch.offsetLag()));
    const tracker = new OffsetTracker();
    // Captured now: a rebalance seen by any batch of this generation stops this one too.
    const rebalanced = this.rebalance.signal;
    const stop = AbortSignal.any([this.drainStarted.signal, rebalanced]);
    let batchOver = false;
    const committer = new PartitionCommitter({
      commit: async (nextOffset) => {
        await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: nextOffset }] }] });
        void this.clearFinishedMarkers();
      },
      retry: this.options.commitRetry,
      onError: (error, attempt, action) => this.onCommitError({ topic, partition }, error, attempt, action),
    });
    // kafkajs has no background heartbeat: keep the session alive during long work,
    // and listen to what the coordinator answers (it is how a rebalance is announced).
    const beat = setInterval(
      () =>
        void heartbeat().catch((error: unknown) => {
          if (signalsRebalance(error)) this.onRebalance('heartbeat', error);
          else this.options.logger.debug({ err: error }, 'heartbeat failed');
        }),
      this.options.heartbeatIntervalMs ?? 3_000,
    );
    const pending: Array<Promise<void>> = [];
    const stopping = () => stop.aborted || !isRunning() || isStale();
    try {
      for (const message of batch.messages) {
        if (stopping()) break;
        if (!(await this.limiter.acquire(stop))) break;
        if (stopping()) {
          this.limiter.release();
          break;
        }
        const origin: MessageOrigin = { topic: batch.topic, partition: batch.partition, offset: message.offset };
        // Poison quarantine: mark the input before it starts (a suspect waits to run alone); holds no slot when undefined.
        const admission = await this.admit(origin, stop);
        if (!admission) break;
        // A suspect waited for its turn to run alone and was counted: it runs.
        if (stopping() && !admission.alone) {
          this.limiter.release();
          if (admission.crashes === 0) this.markerFinished(admission);
          break;
        }
        tracker.start(message.offset);
        this.notify('inFlightChanged', this.limiter.inFlight, route.batcher?.queued ?? 0);
        pending.push(
          this.processMessage(route, origin, message, admission, stop)
            .then(() => {
              admission.settled = true;
              const resolved = tracker.complete(message.offset);
              // A message finishing after its batch was abandoned (shutdown) is left to redelivery.
              if (resolved === undefined || batchOver) return;
              resolveOffset(resolved);
              committer.request((BigInt(resolved) + 1n).toString());
            })
            .finally(() => {
              // Finished, or left unfinished with the process still alive: either way it did not kill the process.
              // A quarantined input keeps its mark until its dead letter is acknowledged.
              if (!admission.poison || admission.settled) this.markerFinished(admission);
              this.limiter.release();
              this.notify('inFlightChanged', this.limiter.inFlight, route.batcher?.queued ?? 0);
            }),
        );
      }
      const settled = await abortable(Promise.allSettled(pending), this.graceOver.signal);
      if (!settled.completed) {
        this.options.logger.warn({ topic, partition, inFlight: tracker.inFlight }, 'shutdown grace over: leaving in-flight messages uncommitted (they are redelivered)');
        return;
      }
      const committed = await abortable(committer.flush(), this.graceOver.signal);
      if (committed.completed && committed.value === 'group-lost') return;
      // A rebalance: return at once (no error, no kafkajs retry backoff) so kafkajs rejoins in time.
      if (rebalanced.aborted) return;
      const failure = settled.value.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      // An unfinished message (dead-letter send failed after its retries, or drain
      // interrupted a retry) stays unresolved, so kafkajs fetches it again; throwing
      // makes kafkajs back off first instead of re-fetching at once.
      if (failure && !(failure.reason instanceof DrainInterrupted)) throw failure.reason;
    } finally {
      batchOver = true;
      clearInterval(beat);
      committer.close();
      void this.clearFinishedMarkers();
    }
  }

  /**
   * Poison quarantine, before a message starts (holding a slot): marks it in
   * Redis. An input whose mark shows that processes died working on it
   * `maxCrashes` times is dead-lettered as POISON without running the
   * handler. One with fewer deaths is a suspect: a process died while it was
   * in flight, perhaps beside the real culprit. It runs alone, once nothing
   * else is in flight and the marks of finished messages are cleared, so a
   * death now is blamed on it alone.
   *
   * Resolves undefined, holding no slot, when the batch must stop meanwhile.
   */
  private async admit(origin: MessageOrigin, stop: AbortSignal): Promise<Admission | undefined> {
    const poison = this.options.poison;
    const unguarded: Admission = { crashes: 0, poison: false, alone: false };
    if (!poison || poison.maxCrashes <= 0) return unguarded;
    const position: AttemptPosition = { groupId: this.groupId, ...origin };
    const crashes = await this.withMarkers(() => poison.markers.start(position), stop);
    if (crashes === 'stopped') {
      this.limiter.release();
      return undefined;
    }
    if (crashes === 'failed') return unguarded;
    if (crashes === 0) return { position, crashes, poison: false, alone: false };
    if (crashes >= poison.maxCrashes) return { position, crashes, poison: true, alone: false };
    this.options.logger.warn({ origin, crashes }, 'a stage process died while this input was in flight: running it alone');
    this.limiter.release();
    if (!(await this.limiter.acquireExclusive(stop))) return undefined;
    await this.clearFinishedMarkers();
    const counted = await this.withMarkers(() => poison.markers.restart(position), stop);
    if (counted === 'stopped') {
      this.limiter.release();
      return undefined;
    }
    const now = counted === 'failed' ? crashes : counted;
    return { position, crashes: now, poison: now >= poison.maxCrashes, alone: true };
  }

  /**
   * Runs an attempt-marker call. While a dependency is down it waits and
   * tries again (the message needs Redis anyway); any other failure leaves
   * the message unguarded (`failed`) rather than blocking the partition.
   */
  private async withMarkers<T>(call: () => Promise<T>, stop: AbortSignal): Promise<T | 'failed' | 'stopped'> {
    for (;;) {
      try {
        return await call();
      } catch (error) {
        this.notify('clientError', 'redis', error);
        const down = this.unavailable();
        if (down.length === 0) {
          this.options.logger.warn({ err: error }, 'attempt marker failed: this message runs without poison quarantine');
          return 'failed';
        }
        this.logOutage(down, error);
        if (!(await this.dependenciesBack(stop))) return 'stopped';
      }
    }
  }

  private markerFinished(admission: Admission): void {
    if (admission.position) this.finishedMarkers.push(admission.position);
  }

  /** Clears the marks of finished messages (one Redis call); calls queue behind each other. A failure keeps them for the next call. */
  private clearFinishedMarkers(): Promise<void> {
    const markers = this.options.poison?.markers;
    if (!markers) return Promise.resolve();
    this.clearing = this.clearing.then(async () => {
      const batch = this.finishedMarkers;
      if (batch.length === 0) return;
      this.finishedMarkers = [];
      try {
        await markers.clear(batch);
      } catch (error) {
        this.notify('clientError', 'redis', error);
        this.options.logger.debug({ err: error, markers: batch.length }, 'clearing attempt markers failed; trying again later');
        // Kept for the next call, within reason: marks left behind expire on their own.
        if (this.finishedMarkers.length < 10_000) this.finishedMarkers.push(...batch);
      }
    });
    return this.clearing;
  }

  private unavailable(): readonly string[] {
    try {
      return this.options.unavailableDependencies?.() ?? [];
    } catch {
      return [];
    }
  }

  private logOutage(down: readonly string[], error: unknown, origin?: MessageOrigin): void {
    if (Date.now() - this.lastOutageLog < OUTAGE_LOG_EVERY_MS) return;
    this.lastOutageLog = Date.now();
    this.options.logger.warn(
      { unavailable: down, origin, err: error, inFlight: this.limiter.inFlight },
      `${down.join(', ')} unavailable: messages wait for it and are retried then (the wait does not count as an attempt)`,
    );
  }

  /** Waits until no dependency is down; false if `stop` (drain, rebalance) came first. */
  private async dependenciesBack(stop: AbortSignal): Promise<boolean> {
    while (this.unavailable().length > 0) {
      if (stop.aborted || this.draining) return false;
      await new Promise((resolve) => setTimeout(resolve, DEPENDENCY_POLL_MS));
    }
    return !(stop.aborted || this.draining);
  }

  /** A heartbeat or commit said the group is rebalancing: batches of this generation stop starting messages. */
  private onRebalance(source: 'heartbeat' | 'commit', error: unknown): void {
    if (this.rebalance.signal.aborted) return;
    this.options.logger.warn({ source, err: error, inFlight: this.limiter.inFlight }, 'group rebalancing: finishing in-flight messages, starting no more until rejoined');
    this.rebalance.abort();
  }

  private onCommitError(where: { topic: string; partition: number }, error: unknown, attempt: number, action: CommitErrorAction): void {
    this.notify('clientError', 'kafka', error);
    const fields = { ...where, attempt, err: error };
    if (action === 'retry') this.options.logger.warn(fields, 'offset commit failed, retrying');
    else if (action === 'group-lost') {
      this.options.logger.warn(fields, 'offset commit refused: the group generation is over; uncommitted messages are redelivered');
      this.onRebalance('commit', error);
    } else this.options.logger.error(fields, 'offset commit failed; left to a later commit, or redelivered');
  }

  /**
   * Runs one message to a settled state: outputs acknowledged, or
   * dead-lettered. A transient failure while a dependency is down waits for
   * it and does not count as an attempt. `stop` (drain, rebalance) ends such
   * a wait, leaving the message unfinished.
   */
  private async processMessage(route: Route, origin: MessageOrigin, message: KafkaMessage, admission: Admission, stop: AbortSignal): Promise<void> {
    const observer = this.options.observer;
    const started = performance.now();
    this.notify('messageReceived', origin);
    const work = async (): Promise<void> => {
      if (admission.poison) {
        const maxCrashes = this.options.poison?.maxCrashes ?? 0;
        const poison: ClassifiedError = {
          code: POISON_CODE,
          message: `stage processes died ${admission.crashes} times while working on this input (limit ${maxCrashes}); quarantined without running the handler again`,
          retriable: false,
        };
        await this.step('dead-letter', { 'conveyor.error_code': POISON_CODE }, () => this.deadLetter(origin, message, poison, admission.crashes, stop));
        this.notify('messageDeadLettered', origin, poison);
        this.notify('messageSettled', origin, 'dead-lettered', performance.now() - started, 0);
        return;
      }
      for (let attempt = 1; ; ) {
        try {
          const outputs = await this.handleOnce(route, origin, message, attempt, started);
          this.notify('messageSettled', origin, 'ok', performance.now() - started, outputs);
          return;
        } catch (error) {
          const classified = classifyError(error);
          const down = classified.retriable ? this.unavailable() : [];
          if (down.length > 0) {
            this.notify('messageRetried', origin, classified, attempt);
            this.logOutage(down, error, origin);
            if (!(await this.dependenciesBack(stop))) throw new DrainInterrupted('shutdown or a rebalance interrupted the wait for a dependency');
            continue;
          }
          if (shouldRetry(this.retry, attempt, classified.retriable)) {
            this.notify('messageRetried', origin, classified, attempt);
            this.options.logger.warn({ origin, attempt, code: classified.code, err: error }, 'stage step failed, retrying');
            await this.sleepUnlessDraining(backoffDelayMs(this.retry, attempt));
            attempt += 1;
            continue;
          }
          await this.step('dead-letter', { 'conveyor.error_code': classified.code }, () =>
            this.deadLetter(origin, message, classified, attempt, stop),
          );
          this.notify('messageDeadLettered', origin, classified);
          this.notify('messageSettled', origin, 'dead-lettered', performance.now() - started, 0);
          return;
        }
      }
    };
    return observer?.aroundMessage ? observer.aroundMessage(message.headers ?? {}, origin, work) : work();
  }

  private async handleOnce(route: Route, origin: MessageOrigin, message: KafkaMessage, attempt: number, started: number): Promise<number> {
    const input = await this.step('decode', { 'messaging.message.body.size': message.value?.length ?? 0 }, () =>
      readInbound(origin, message, attempt, this.options.claims),
    );
    const result = route.batcher ? await route.batcher.submit(input) : await this.invokeOne(route, input);
    const outputs = outputsOf(result);
    const stageMs = Math.round(performance.now() - started);
    const versions = this.versionsOf(input);
    await this.publish(outputs, { id: input.id, traceparent: input.event.traceparent, tracestate: input.event.tracestate, timings: input.timings, versions }, stageMs);
    return outputs.length;
  }

  /** Sends outputs with acks=-1 and runs their acknowledgement callbacks. */
  private async publish(outputs: StageOutput[], context: OutboundContext, stageMs: number): Promise<void> {
    if (outputs.length === 0) return;
    await this.step('produce', { 'messaging.batch.message_count': outputs.length }, async () => {
      const trace = this.options.observer?.outgoingTraceHeaders?.() ?? {};
      await this.sendOutputs(outputs, { ...context, ...trace }, stageMs);
    });
  }

  private async sendOutputs(outputs: StageOutput[], context: OutboundContext, stageMs: number): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const output of outputs) {
      const topic = this.topicFor(output.topic ?? STAGE_OUTPUT);
      const kafkaMessage = await buildOutbound(output, context, this.options.stage, stageMs, this.options.limits, this.options.claims);
      const messages = byTopic.get(topic);
      if (messages) messages.push(kafkaMessage);
      else byTopic.set(topic, [kafkaMessage]);
    }
    try {
      await this.requireProducer().sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (error) {
      this.notify('clientError', 'kafka', error);
      throw error;
    }
    for (const [topic, messages] of byTopic) this.notify('outputsProduced', topic, messages.length);
    for (const output of outputs) await output.onAcknowledged?.();
  }

  /** The versions a message's outputs and result carry: those it came with plus this stage's entry. */
  private versionsOf(input: StageMessage): StageVersion[] {
    return versionsAfter(input.versions ?? [], this.options.versions);
  }

  private async invokeOne(route: Route, input: StageMessage): Promise<StageResult> {
    // The whole call, its Observable included, sees the message's versions (a result stored inside records them).
    return runWithVersions(new Map([[input.id, this.versionsOf(input)]]), async () => {
      const result = await route.handler(input, new StageContext([input.origin]));
      // A failing handler comes back as an erroring Observable from Nest's exception
      // layer; lastValueFrom rethrows the original error (see PreserveErrorFilter).
      return (await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined })) as StageResult;
    });
  }

  private async invokeBatch(route: Route, inputs: StageMessage[]): Promise<Array<StageResult | Error>> {
    const started = performance.now();
    const versions = new Map(inputs.map((input) => [input.id, this.versionsOf(input)] as const));
    const results = await runWithVersions(versions, async () => {
      const result = await route.handler(inputs, new StageContext([inputs[0].origin]));
      return (await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined })) as unknown;
    });
    this.notify('batchRun', route.topic, inputs.length, performance.now() - started);
    if (!Array.isArray(results) || results.length !== inputs.length) {
      throw new Error(`batch handler for ${route.topic} must return one result per message (${inputs.length})`);
    }
    return results as Array<StageResult | Error>;
  }

  private async deadLetter(origin: MessageOrigin, message: KafkaMessage, error: ClassifiedError, attempts: number, stop: AbortSignal): Promise<void> {
    const { stage, logger, deadLetterHook } = this.options;
    const dlq = this.routes.get(origin.topic)?.deadLetterTopic ?? deadLetterTopic(origin.topic);
    await this.sendDeadLetter(dlq, buildDeadLetter(message, origin, error, stage, attempts), origin);
    const requestId = headerString(message.headers ?? {}, CloudEventHeader.id) ?? message.key?.toString('utf8');
    logger.warn({ requestId, origin, code: error.code, error: error.message, attempts, dlq }, 'message dead-lettered');
    if (!deadLetterHook) return;
    // From here on the dead letter is acknowledged: a failure must not fail the
    // message, whose redelivery would write a second dead letter. The hook
    // alone is tried again once a dependency that was down is back.
    let timings: Record<string, number> = {};
    try {
      timings = parseTimings(message.headers ?? {});
    } catch {
      // A malformed timings header is one more symptom of the bad input; don't let it hide the failure.
    }
    // Likewise for versions: those it came with (if readable) and this stage's, which failed it.
    let versions: StageVersion[] = [];
    try {
      versions = versionsAfter(parseVersionsLeniently(message.headers ?? {}), this.options.versions);
    } catch (versionError) {
      logger.debug({ err: versionError }, 'versions of a dead letter could not be recorded');
    }
    for (;;) {
      try {
        const outputs = outputsOf(await deadLetterHook.onDeadLetter({ requestId, origin, error, stage, attempts, timings, versions }));
        if (outputs.length > 0 && requestId) {
          const traceparent = headerString(message.headers ?? {}, CloudEventHeader.traceparent);
          await this.publish(outputs, { id: requestId, traceparent, timings, versions }, 0);
        }
        return;
      } catch (hookError) {
        const down = this.unavailable();
        if (down.length > 0) {
          this.logOutage(down, hookError, origin);
          if (await this.dependenciesBack(stop)) continue;
        }
        logger.error({ requestId, origin, err: hookError, dlq }, 'dead-letter hook failed; the message stays dead-lettered and is not retried');
        this.notify('deadLetterHookFailed', origin, hookError);
        return;
      }
    }
  }

  /**
   * Sends a dead letter (acks=-1), retrying with backoff (the handler is not
   * run again). Every failure is logged and reported as a Kafka client error;
   * after the last attempt the error is thrown and the message, unfinished,
   * is fetched again. A drain interrupts the waits (DrainInterrupted).
   */
  private async sendDeadLetter(dlq: string, record: Message, origin: MessageOrigin): Promise<void> {
    const policy = this.options.deadLetterRetry ?? defaultDeadLetterRetry;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.requireProducer().send({ topic: dlq, acks: -1, messages: [record] });
        return;
      } catch (error) {
        this.notify('clientError', 'kafka', error);
        const last = attempt >= policy.maxAttempts;
        this.options.logger.error({ origin, dlq, attempt, err: error }, last ? 'dead-letter send failed; the message stays uncommitted and is fetched again' : 'dead-letter send failed, retrying');
        if (last) throw error;
        await this.sleepUnlessDraining(backoffDelayMs(policy, attempt));
      }
    }
  }

  private requireProducer(): Producer {
    if (!this.producer) throw new Error('transport not started');
    return this.producer;
  }

  private async sleepUnlessDraining(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (this.draining) throw new DrainInterrupted('shutdown interrupted a retry');
      await new Promise((resolve) => setTimeout(resolve, Math.min(50, until - Date.now())));
    }
  }

  private onSaturation(saturated: boolean): void {
    const consumer = this.consumer;
    if (!consumer) return;
    const topics = [...this.routes.keys()].map((topic) => ({ topic }));
    // Backpressure: stop fetching more while the work queue is full. Fetched
    // batches already running keep going; nothing is dropped.
    if (saturated && !this.pausedForBackpressure) {
      this.pausedForBackpressure = true;
      consumer.pause(topics);
    } else if (!saturated && this.pausedForBackpressure) {
      this.pausedForBackpressure = false;
      consumer.resume(topics);
    }
  }

  /**
   * Graceful stop: no new messages start, in-flight ones finish (their offsets
   * are committed through the batch payload), then the consumer leaves the group.
   *
   * Returns within `graceMs` plus `disconnectTimeoutMs` (default 5 s) even if a
   * handler never finishes: once the grace is over, the batches stop waiting
   * for their in-flight messages (left uncommitted, so they are redelivered),
   * and leaving the group and closing the clients is bounded too. Calling it
   * again returns the first drain.
   */
  drain(graceMs = 30_000): Promise<void> {
    this.drained ??= this.drainOnce(graceMs);
    return this.drained;
  }

  private async drainOnce(graceMs: number): Promise<void> {
    const { logger } = this.options;
    this.draining = true;
    this.drainStarted.abort();
    logger.info({ inFlight: this.limiter.inFlight, graceMs }, 'draining');
    const graceTimer = setTimeout(() => this.graceOver.abort(), graceMs);
    const idle = await abortable(this.limiter.idle(), this.graceOver.signal);
    clearTimeout(graceTimer);
    if (!idle.completed) logger.warn({ inFlight: this.limiter.inFlight, graceMs }, 'shutdown grace over with messages still in flight; they stay uncommitted');
    const deadline = AbortSignal.timeout(this.options.disconnectTimeoutMs ?? 5_000);
    // kafkajs' disconnect waits for running batches (their commits) to return; past the deadline, stop waiting.
    deadline.addEventListener('abort', () => this.graceOver.abort(), { once: true });
    for (const [name, client] of [['consumer', this.consumer], ['producer', this.producer]] as const) {
      if (!client) continue;
      const closed = await abortable(
        client.disconnect().catch((error: unknown) => logger.warn({ err: error, client: name }, 'kafka disconnect failed')),
        deadline,
      );
      if (!closed.completed) logger.warn({ client: name }, 'kafka disconnect did not finish in time; going on');
    }
    // Marks of messages finished during the drain: best effort, before the Redis client closes.
    await abortable(this.clearFinishedMarkers(), AbortSignal.timeout(1_000));
    this.joined = false;
    this.notify('stopped');
  }

  async close(): Promise<void> {
    await this.drain();
  }

  on(): never {
    throw new Error('KafkaStageTransport does not emit Nest transport events; use the StageObserver');
  }

  unwrap<T>(): T {
    return { consumer: this.consumer, producer: this.producer } as T;
  }
}
