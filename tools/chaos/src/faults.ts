// The faults the chaos suite injects into a running platform, one per run.
// The stage faults are derived from the pipeline definition, so another
// pipeline gets its own `kill-<stage>` faults without editing this file.
import { findFreePort } from '@conveyor/kafka-local';
import type { PipelineDefinition } from '@conveyor/pipeline';
import { serviceName } from '@conveyor/pipeline';
import type { LocalPlatform } from '@conveyor/platform';
import type { TestRedisServer } from '@conveyor/testing';

export interface FaultContext {
  platform: LocalPlatform;
  pipeline: PipelineDefinition;
  /** The run's own Redis (persisting to an append-only file), which the Redis fault stops and starts. */
  redis: TestRedisServer;
  /** Publishes the poison inputs through the public contract (the poison fault). */
  sendPoison(): Promise<void>;
  log(line: string): void;
}

export interface FaultOutcome {
  /** Seconds from the fault to the platform being whole again. */
  healSeconds?: number;
  notes?: string[];
}

export interface Fault {
  /** What `--faults` names it by. */
  name: string;
  /** What the table calls it. */
  title: string;
  /** The fault kills the local broker: not possible against an external Kafka. */
  needsLocalKafka?: boolean;
  inject(ctx: FaultContext): Promise<FaultOutcome>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (sinceMs: number): number => (performance.now() - sinceMs) / 1000;

/** How long a fault waits for the platform to be whole again before it says it is not. */
const HEAL_TIMEOUT_MS = 180_000;
/** How long Redis stays away. */
export const REDIS_AWAY_MS = 10_000;

async function isReady(url: string | undefined): Promise<boolean> {
  if (url === undefined) return false;
  try {
    return (await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) })).status === 200;
  } catch {
    return false;
  }
}

/** Waits until every stage process (or the ones named) answers ready; false after `timeoutMs`. */
export async function waitAllReady(platform: LocalPlatform, timeoutMs = HEAL_TIMEOUT_MS, names = Object.keys(platform.healthUrls)): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await Promise.all(names.map((name) => isReady(platform.healthUrls[name])));
    if (ready.every(Boolean)) return true;
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
}

async function waitUntil(check: () => boolean, timeoutMs = HEAL_TIMEOUT_MS): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** Kills a stage process with SIGKILL; nobody but the launcher's supervisor starts it again. */
function killStage(pipeline: PipelineDefinition, stage: string): Fault {
  const process_ = serviceName(pipeline, stage);
  return {
    name: `kill-${stage}`,
    title: `kill -9 ${stage}`,
    async inject({ platform, log }) {
      const pid = platform.supervisor.pid(process_);
      if (pid === undefined) return { notes: [`${process_} was not running when the fault was due`] };
      const restarts = platform.supervisor.restarts(process_);
      const at = performance.now();
      log(`kill -9 ${process_} (pid ${pid})`);
      process.kill(pid, 'SIGKILL');
      const back = (await waitUntil(() => platform.supervisor.restarts(process_) > restarts)) && (await waitAllReady(platform, HEAL_TIMEOUT_MS, [process_]));
      return back ? { healSeconds: seconds(at) } : { notes: [`${process_} was not ready again ${HEAL_TIMEOUT_MS / 1000} s after kill -9`] };
    },
  };
}

/** SIGTERM to every stage process in turn, each drained, restarted and ready before the next: a rolling deploy. */
const rollingRestart: Fault = {
  name: 'rolling-restart',
  title: 'SIGTERM rolling restart',
  async inject({ platform, log }) {
    const at = performance.now();
    for (const name of platform.supervisor.names()) {
      const pid = platform.supervisor.pid(name);
      if (pid === undefined) return { notes: [`${name} was not running when its turn came`] };
      const restarts = platform.supervisor.restarts(name);
      log(`SIGTERM ${name} (pid ${pid})`);
      process.kill(pid, 'SIGTERM');
      const back = (await waitUntil(() => platform.supervisor.restarts(name) > restarts)) && (await waitAllReady(platform, HEAL_TIMEOUT_MS, [name]));
      if (!back) return { notes: [`${name} was not ready again after its SIGTERM`] };
    }
    return { healSeconds: seconds(at) };
  },
};

/** SIGKILL to the local broker's JVM; the launcher's keeper starts it again on the same port and data. */
const killBroker: Fault = {
  name: 'kill-broker',
  title: 'kill -9 broker',
  needsLocalKafka: true,
  async inject({ platform, log }) {
    const pid = platform.kafka.pid;
    if (pid === undefined) return { notes: ['the local broker was not running when the fault was due'] };
    const restarts = platform.kafka.restarts;
    const at = performance.now();
    log(`kill -9 the broker (pid ${pid})`);
    process.kill(pid, 'SIGKILL');
    const back = (await waitUntil(() => platform.kafka.restarts > restarts && platform.kafka.pid !== undefined)) && (await waitAllReady(platform));
    return back ? { healSeconds: seconds(at) } : { notes: ['the broker or a stage was not back after the broker was killed'] };
  },
};

/**
 * One more process of `stage` joins the live consumer group mid-load (taking
 * its share of partitions), works a while and leaves: SIGTERM (drained) or
 * SIGKILL (a lost node; its uncommitted messages go to the others).
 */
function replicaJoinLeave(pipeline: PipelineDefinition, stage: string, leave: 'SIGTERM' | 'SIGKILL'): Fault {
  const base = serviceName(pipeline, stage);
  return {
    name: leave === 'SIGTERM' ? 'replica-join-leave' : 'replica-join-kill',
    title: `${stage} replica joins, leaves by ${leave}`,
    async inject({ platform, log }) {
      const spec = platform.supervisor.spec(base);
      if (!spec) return { notes: [`no process ${base} to copy`] };
      const name = `${base}-extra`;
      const port = await findFreePort();
      platform.healthUrls[name] = `http://127.0.0.1:${port}`;
      try {
        log(`${name} joins`);
        platform.supervisor.start({ ...spec, name, env: { ...spec.env, HTTP_PORT: String(port) } });
        if (!(await waitAllReady(platform, HEAL_TIMEOUT_MS, [name]))) return { notes: [`${name} did not become ready`] };
        await sleep(8_000); // long enough to take partitions and work on some of them
        log(`${name} leaves (${leave})`);
        await platform.supervisor.stop(name, leave);
        return {};
      } finally {
        delete platform.healthUrls[name];
      }
    },
  };
}

/** The run's Redis killed and started again after 10 s (with its append-only file, as a persistent Redis restarts). */
const redisAway: Fault = {
  name: 'redis-away',
  title: `Redis away ${REDIS_AWAY_MS / 1000} s`,
  async inject({ platform, redis, log }) {
    log(`Redis (pid ${redis.pid}) killed for ${REDIS_AWAY_MS / 1000} s`);
    await redis.stop('SIGKILL');
    await sleep(REDIS_AWAY_MS);
    const at = performance.now();
    await redis.start();
    log('Redis is back');
    return (await waitAllReady(platform)) ? { healSeconds: seconds(at) } : { notes: ['a stage was not ready again after Redis came back'] };
  },
};

/** Inputs that must fail with a reason (poison.ts), sent among the good ones. */
const poison: Fault = {
  name: 'poison',
  title: 'poison inputs',
  async inject({ sendPoison }) {
    await sendPoison();
    return {};
  },
};

/** The no-fault run every other run is compared with. */
export const NO_FAULT: Fault = { name: 'none', title: 'no fault', inject: async () => ({}) };

/** Every fault for `pipeline`, in the order a full run injects them. */
export function faultCatalogue(pipeline: PipelineDefinition, replicaStage: string): Fault[] {
  if (!pipeline.stages.some((s) => s.name === replicaStage)) {
    throw new Error(`no stage "${replicaStage}" in pipeline ${pipeline.name} (stages: ${pipeline.stages.map((s) => s.name).join(', ')})`);
  }
  return [
    ...pipeline.stages.map((s) => killStage(pipeline, s.name)),
    rollingRestart,
    killBroker,
    replicaJoinLeave(pipeline, replicaStage, 'SIGTERM'),
    replicaJoinLeave(pipeline, replicaStage, 'SIGKILL'),
    redisAway,
    poison,
  ];
}

/** The faults named (in catalogue order), or every one for `all`; unknown names are an error listing the known ones. */
export function selectFaults(catalogue: readonly Fault[], names: readonly string[]): Fault[] {
  if (names.includes('all')) return [...catalogue];
  const unknown = names.filter((n) => !catalogue.some((f) => f.name === n));
  if (unknown.length) throw new Error(`unknown fault ${unknown.join(', ')}; known: all, ${catalogue.map((f) => f.name).join(', ')}`);
  return catalogue.filter((f) => names.includes(f.name));
}
