import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brokerProperties, DEFAULT_JVM_HEAP, jvmOptions, jvmOptionsFromEnv, newClusterId, renderLog4jConfig, renderProperties, type PropertyValue } from './broker-config';
import { BrokerStartError, BrokerStopError, InvalidKafkaOptionsError } from './errors';
import { resolveJava } from './executables';
import { startGuardian } from './guardian';
import { ensureKafkaRuntime } from './kafka-runtime';
import { tailFile } from './log-tail';
import { assertPortFree, findFreePort } from './ports';
import { probeBroker } from './ready';
import { formatStorageIfNeeded } from './storage';
import { findWorkspaceRoot, KAFKA_POM_RELATIVE_PATH } from './workspace';

type Env = Record<string, string | undefined>;

export interface StartKafkaOptions {
  /** Interface to listen on and advertise. Default 127.0.0.1. */
  host?: string;
  /** Client (PLAINTEXT) port; 0 or absent picks a free one. */
  port?: number;
  /**
   * Where the broker keeps its data, configuration and logs. Absent: a new temporary
   * folder, deleted by stop(). Given: kept, and reused (not re-formatted) next time.
   */
  dataDir?: string;
  /** Parent folder of a temporary data dir (default the OS temp dir). */
  tempRoot?: string;
  /** Monorepo root (default: found above this file). */
  workspaceRoot?: string;
  /** Maven descriptor of the pinned Kafka (default <root>/tools/kafka/pom.xml). */
  pomPath?: string;
  /** Jar cache (default <root>/.conveyor/kafka). */
  cacheDir?: string;
  /** Environment for finding java/mvn and for the child processes (default process.env). */
  env?: Env;
  /** JVM heap, as -Xms/-Xmx values. Default DEFAULT_JVM_HEAP (64m / 256m). */
  heap?: { min: string; max: string };
  /** JVM flags after the defaults of `jvmOptions` (and CONVEYOR_KAFKA_JVM_OPTS), overriding them. */
  jvmOptions?: readonly string[];
  /** Limit for the broker to become ready. Default 120 s (a 2-core machine under load is slow). */
  startTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL on stop. Default 15 s. */
  stopGraceMs?: number;
  /** Extra or replacing broker properties. */
  serverProperties?: Record<string, PropertyValue>;
  /** Progress lines (fetching, formatting, started). */
  log?: (line: string) => void;
}

export interface KafkaHandle {
  /** Bootstrap address for clients, "host:port". */
  brokers: string;
  host: string;
  port: number;
  controllerPort: number;
  dataDir: string;
  /** The Kafka version that runs. */
  version: string;
  /** The JVM's pid. */
  pid: number;
  /** Resolves when the JVM has exited, however that happened. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after the grace period; removes a temporary data dir. Idempotent. */
  stop(): Promise<void>;
  /** The last lines of the broker's log (and of the JVM's own output when it wrote any). */
  logTail(lines?: number): string;
}

interface DataDirLayout {
  root: string;
  kraftDir: string;
  propertiesFile: string;
  log4jFile: string;
  serverLog: string;
  jvmOutput: string;
}

function layoutOf(root: string): DataDirLayout {
  return {
    root,
    kraftDir: path.join(root, 'kraft'),
    propertiesFile: path.join(root, 'server.properties'),
    log4jFile: path.join(root, 'log4j2.properties'),
    serverLog: path.join(root, 'logs', 'server.log'),
    jvmOutput: path.join(root, 'logs', 'jvm-output.log'),
  };
}

function readLogTail(layout: DataDirLayout, lines = 60): string {
  const server = tailFile(layout.serverLog, lines);
  const jvm = tailFile(layout.jvmOutput, Math.min(lines, 30));
  return jvm ? `${server}\n--- JVM output ---\n${jvm}`.trim() : server;
}

/*
 * A process that exits normally (process.exit, end of the event loop) still runs
 * 'exit' listeners: send the JVM its SIGTERM right away rather than waiting for the
 * guardian's next poll. One listener for all brokers of this process.
 */
const liveJvms = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackJvm(child: ChildProcess): void {
  liveJvms.add(child);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const jvm of liveJvms) jvm.kill('SIGTERM');
  });
}

function validateOptions(options: StartKafkaOptions): void {
  const { port, host } = options;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new InvalidKafkaOptionsError(`port must be an integer from 0 to 65535, got ${port}`);
  }
  if (host !== undefined && !/^[A-Za-z0-9.:-]+$/.test(host)) {
    throw new InvalidKafkaOptionsError(`host must be a host name or IP address, got "${host}"`);
  }
  for (const [name, value] of [
    ['startTimeoutMs', options.startTimeoutMs],
    ['stopGraceMs', options.stopGraceMs],
  ] as const) {
    if (value !== undefined && (!Number.isFinite(value) || value <= 0)) {
      throw new InvalidKafkaOptionsError(`${name} must be a positive number of milliseconds, got ${value}`);
    }
  }
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (await waitForExit(child, graceMs)) return;
  child.kill('SIGKILL');
  if (!(await waitForExit(child, 10_000))) {
    throw new BrokerStopError(`The Kafka JVM (pid ${child.pid}) did not exit even after SIGKILL`);
  }
}

const ADDRESS_IN_USE = /Address already in use|BindException/;

/**
 * Starts a single-node Apache Kafka (KRaft, broker + controller in one JVM) and
 * resolves once a kafkajs admin client can describe the cluster.
 */
export async function startKafka(options: StartKafkaOptions = {}): Promise<KafkaHandle> {
  validateOptions(options);
  const env = options.env ?? process.env;
  const host = options.host ?? '127.0.0.1';
  const java = resolveJava(env);
  if (options.port) await assertPortFree(host, options.port);

  const root = options.workspaceRoot ?? findWorkspaceRoot();
  const runtime = await ensureKafkaRuntime({
    pomPath: options.pomPath ?? path.join(root, KAFKA_POM_RELATIVE_PATH),
    cacheDir: options.cacheDir ?? path.join(root, '.conveyor', 'kafka'),
    env,
    log: options.log,
  });

  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ? path.resolve(options.dataDir) : mkdtempSync(path.join(options.tempRoot ?? os.tmpdir(), 'conveyor-kafka-'));
  const layout = layoutOf(dataDir);
  try {
    // Ports picked here can be taken by someone else before the JVM binds them; then
    // try again with fresh ones (never with a port the caller chose).
    for (let attempt = 1; ; attempt++) {
      try {
        return await startOnce({ options, env, host, java, runtime, layout, ownsDataDir });
      } catch (error) {
        const retriable = error instanceof BrokerStartError && ADDRESS_IN_USE.test(error.logTail) && attempt < 3;
        if (!retriable) throw error;
        options.log?.(`A port was taken while the broker started; retrying (attempt ${attempt + 1})`);
        if (options.port) await assertPortFree(host, options.port);
      }
    }
  } catch (error) {
    if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

interface StartOnceInput {
  options: StartKafkaOptions;
  env: Env;
  host: string;
  java: string;
  runtime: { version: string; classPath: string };
  layout: DataDirLayout;
  ownsDataDir: boolean;
}

async function startOnce(input: StartOnceInput): Promise<KafkaHandle> {
  const { options, env, host, java, runtime, layout } = input;
  const port = options.port || (await findFreePort(host));
  let controllerPort = await findFreePort(host);
  while (controllerPort === port) controllerPort = await findFreePort(host);
  const brokers = `${host}:${port}`;

  mkdirSync(path.dirname(layout.serverLog), { recursive: true });
  mkdirSync(layout.kraftDir, { recursive: true });
  writeFileSync(
    layout.propertiesFile,
    renderProperties(brokerProperties({ host, port, controllerPort, logDir: layout.kraftDir, overrides: options.serverProperties })),
  );
  writeFileSync(layout.log4jFile, renderLog4jConfig(layout.serverLog));
  if (
    await formatStorageIfNeeded({
      java,
      classPath: runtime.classPath,
      propertiesFile: layout.propertiesFile,
      log4jConfigFile: layout.log4jFile,
      logDir: layout.kraftDir,
      clusterId: newClusterId(),
      env,
    })
  ) {
    options.log?.(`Formatted KRaft storage in ${layout.kraftDir}`);
  }

  const heap = options.heap ?? DEFAULT_JVM_HEAP;
  const outputFd = openSync(layout.jvmOutput, 'w');
  const started = Date.now();
  let child: ChildProcess;
  try {
    child = spawn(
      java,
      [
        ...jvmOptions(heap, [...jvmOptionsFromEnv(env), ...(options.jvmOptions ?? [])]),
        `-Dlog4j2.configurationFile=${layout.log4jFile}`,
        // Marks the process as ours (and which one) for ps, tests and humans.
        `-Dconveyor.kafka.dataDir=${layout.root}`,
        '-cp',
        runtime.classPath,
        'kafka.Kafka',
        layout.propertiesFile,
      ],
      { env, stdio: ['ignore', outputFd, outputFd] },
    );
  } finally {
    closeSync(outputFd);
  }
  // Without a pid the spawn failed; the 'error' event says why.
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    if (child.pid !== undefined) return resolve(undefined);
    child.once('error', resolve);
  });
  if (spawnError || child.pid === undefined) {
    throw new BrokerStartError(`Could not start ${java}: ${spawnError?.message ?? 'no pid'}`, readLogTail(layout));
  }
  const pid = child.pid;
  // Failed kill() calls surface as 'error' events; the exit event is what counts.
  child.on('error', () => undefined);
  // Keep the parent's event loop free to end; stop() and the guardian own the JVM's end.
  child.unref();
  trackJvm(child);
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      liveJvms.delete(child);
      resolve(exitInfo);
    });
  });
  const stopGraceMs = options.stopGraceMs ?? 15_000;
  startGuardian({
    parentPid: process.pid,
    jvmPid: pid,
    graceSeconds: stopGraceMs / 1000,
    removeDirOnParentDeath: input.ownsDataDir ? layout.root : undefined,
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await terminate(child, stopGraceMs);
      if (input.ownsDataDir) rmSync(layout.root, { recursive: true, force: true });
    })();
    return stopping;
  };

  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const deadline = started + timeoutMs;
  let lastProbeError = 'no attempt yet';
  for (;;) {
    if (exitInfo) {
      throw new BrokerStartError(
        `Kafka ${runtime.version} exited while starting (code ${exitInfo.code}, signal ${exitInfo.signal}) on ${brokers}`,
        readLogTail(layout),
      );
    }
    try {
      await probeBroker(brokers, 5000);
      break;
    } catch (error) {
      lastProbeError = (error as Error).message;
    }
    if (Date.now() > deadline) {
      const tail = readLogTail(layout);
      await terminate(child, 5000);
      throw new BrokerStartError(
        `Kafka ${runtime.version} did not become ready on ${brokers} within ${timeoutMs} ms (last probe: ${lastProbeError})`,
        tail,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  options.log?.(`Kafka ${runtime.version} ready on ${brokers} in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${pid}, data ${layout.root})`);

  return {
    brokers,
    host,
    port,
    controllerPort,
    dataDir: layout.root,
    version: runtime.version,
    pid,
    exited,
    stop,
    logTail: (lines?: number) => readLogTail(layout, lines),
  };
}
