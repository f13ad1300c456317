import { rmSync } from 'node:fs';
import { startKafka, type KafkaHandle, type StartKafkaOptions } from '@conveyor/kafka-local';
import { NO_CRASHES, planRestart, restartPolicy, type CrashHistory, type RestartPolicy } from './restart-policy';

export interface KeepKafkaOptions extends StartKafkaOptions {
  /** Backoff between restarts (default: DEFAULT_RESTART_POLICY with these fields replaced). */
  restart?: Partial<RestartPolicy>;
  /** Failed start attempts in a row after which the keeper gives up. Default 5. */
  maxFailedStarts?: number;
  /** Lines for people: the death, each restart, giving up. */
  log?: (line: string) => void;
  /** The starter (tests). */
  start?: (options: StartKafkaOptions) => Promise<KafkaHandle>;
}

export type KafkaKeeperEvent =
  | { type: 'died'; pid: number; code: number | null; signal: NodeJS.Signals | null }
  | { type: 'restart-scheduled'; delayMs: number; crashLooping: boolean }
  | { type: 'restart-failed'; attempt: number; error: Error }
  | { type: 'restarted'; pid: number; restarts: number }
  | { type: 'gave-up'; error: Error };

/** A local broker that is started again, on the same port with the same data, when its JVM dies. */
export interface KeptKafka {
  readonly brokers: string;
  readonly port: number;
  readonly dataDir: string;
  /** The JVM's pid; undefined while the broker is down. */
  readonly pid: number | undefined;
  /** How often the broker was restarted after dying. */
  readonly restarts: number;
  /**
   * Settles (resolves with the last error) only when the keeper gave up: the
   * broker died and `maxFailedStarts` starts in a row failed. The broker is down
   * for good then.
   */
  readonly gaveUp: Promise<Error>;
  on(listener: (event: KafkaKeeperEvent) => void): void;
  /** Stops the broker for good (and deletes a temporary data dir). Idempotent. */
  stop(): Promise<void>;
  logTail(lines?: number): string;
}

/**
 * Starts the project's broker and keeps it running: when its JVM dies (kill -9,
 * out of memory, a crash) the keeper says so with the broker's last log lines
 * and starts it again on the same host, port and data dir, so the stages'
 * clients reconnect to the same address and find their topics and committed
 * offsets. Restarts back off like the stages' (restart-policy.ts; a JVM that
 * keeps dying is reported as crash-looping and retried at the maximum delay).
 * When the broker cannot even be started `maxFailedStarts` times in a row (the
 * port taken by someone else, a corrupt data dir), the keeper gives up and
 * `gaveUp` settles, so the launcher can stop everything with that reason.
 */
export async function keepKafka(options: KeepKafkaOptions = {}): Promise<KeptKafka> {
  const policy = restartPolicy({ giveUpExitCodes: [], ...options.restart });
  const maxFailedStarts = options.maxFailedStarts ?? 5;
  const log = options.log ?? (() => undefined);
  const start = options.start ?? startKafka;
  const listeners: Array<(event: KafkaKeeperEvent) => void> = [];
  const emit = (event: KafkaKeeperEvent): void => listeners.forEach((l) => l(event));

  const first = await start(options);
  // A temporary data dir belongs to the first handle, which deletes it on stop(); later handles get it as given.
  const temporary = options.dataDir === undefined;
  let current: KafkaHandle | undefined = first;
  let startedAt = Date.now();
  let history: CrashHistory = NO_CRASHES;
  let restarts = 0;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let attempt: Promise<void> | undefined;
  let resolveGaveUp!: (error: Error) => void;
  const gaveUp = new Promise<Error>((resolve) => (resolveGaveUp = resolve));

  const schedule = (crash: { uptimeMs: number; code: number | null; signal: NodeJS.Signals | null }, failedStarts: number): void => {
    const decision = planRestart(policy, history, { at: Date.now(), ...crash });
    history = decision.history;
    const delayMs = decision.action === 'restart' ? decision.delayMs : policy.maxDelayMs;
    if (decision.action === 'restart' && decision.enteredCrashLoop) {
      log(
        `the broker is CRASH-LOOPING: ${history.recent.length} deaths within ${policy.crashLoopWindowMs / 1000} s; ` +
          `restarting it every ${policy.maxDelayMs / 1000} s (see ${first.dataDir}/logs/server.log)`,
      );
    }
    log(`restarting the broker on ${first.brokers} with the same data in ${(delayMs / 1000).toFixed(1)} s`);
    emit({ type: 'restart-scheduled', delayMs, crashLooping: history.crashLooping });
    timer = setTimeout(() => {
      timer = undefined;
      attempt = restart(failedStarts).finally(() => (attempt = undefined));
    }, delayMs);
  };

  const restart = async (failedStarts: number): Promise<void> => {
    if (stopping) return;
    try {
      const handle = await start({ ...options, host: first.host, port: first.port, dataDir: first.dataDir });
      if (stopping) {
        await handle.stop();
        return;
      }
      current = handle;
      startedAt = Date.now();
      restarts += 1;
      log(`broker restarted on ${handle.brokers} (pid ${handle.pid}, restart ${restarts}); topics and committed offsets are kept`);
      emit({ type: 'restarted', pid: handle.pid, restarts });
      watch(handle);
    } catch (error) {
      const failure = error as Error;
      const failed = failedStarts + 1;
      emit({ type: 'restart-failed', attempt: failed, error: failure });
      if (failed >= maxFailedStarts) {
        const reason = new Error(`the Kafka broker died and could not be started again (${failed} attempts); last error: ${failure.message}`, { cause: failure });
        log(`giving up: ${reason.message}`);
        emit({ type: 'gave-up', error: reason });
        resolveGaveUp(reason);
        return;
      }
      log(`restarting the broker failed (attempt ${failed} of ${maxFailedStarts}): ${failure.message}`);
      schedule({ uptimeMs: 0, code: null, signal: null }, failed);
    }
  };

  const watch = (handle: KafkaHandle): void => {
    void handle.exited.then(({ code, signal }) => {
      if (stopping || current !== handle) return;
      current = undefined;
      const tail = handle
        .logTail(10)
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n');
      log(`the broker (pid ${handle.pid}) DIED (code ${code}, signal ${signal}); its last log lines:\n${tail}`);
      emit({ type: 'died', pid: handle.pid, code, signal });
      schedule({ uptimeMs: Date.now() - startedAt, code, signal }, 0);
    });
  };
  watch(first);

  let stopped: Promise<void> | undefined;
  return {
    brokers: first.brokers,
    port: first.port,
    dataDir: first.dataDir,
    get pid() {
      return current?.pid;
    },
    get restarts() {
      return restarts;
    },
    gaveUp,
    on: (listener) => void listeners.push(listener),
    stop: () =>
      (stopped ??= (async () => {
        stopping = true;
        if (timer) clearTimeout(timer);
        await attempt;
        await current?.stop();
        // The first handle deletes its temporary dir itself; after a restart the current one does not own it.
        if (temporary) rmSync(first.dataDir, { recursive: true, force: true });
      })()),
    logTail: (lines) => (current ?? first).logTail(lines),
  };
}
