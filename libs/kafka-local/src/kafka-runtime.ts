import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidKafkaOptionsError, KafkaFetchError } from './errors';
import { resolveMaven } from './executables';
import { withFileLock } from './file-lock';

type Env = Record<string, string | undefined>;

/** The jars of one pinned Kafka, ready for `java -cp '<libsDir>/*'`. */
export interface KafkaRuntime {
  version: string;
  libsDir: string;
  /** The class path argument: every jar in libsDir. */
  classPath: string;
  /** False when the jars came from the cache. */
  fetched: boolean;
}

export interface EnsureKafkaRuntimeOptions {
  pomPath: string;
  /** Folder holding one sub-folder per fetched Kafka (e.g. <workspace>/.conveyor/kafka). */
  cacheDir: string;
  env?: Env;
  /** Limit for the whole Maven run. */
  fetchTimeoutMs?: number;
  log?: (line: string) => void;
}

const READY_MARKER = 'READY.json';

/** The `<kafka.version>` property of the Maven descriptor. */
export function readPinnedKafkaVersion(pomXml: string): string {
  const match = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(pomXml);
  if (!match) throw new InvalidKafkaOptionsError('The Kafka Maven descriptor has no <kafka.version> property');
  const version = match[1];
  if (!/^\d+\.\d+\.\d+([.-][0-9A-Za-z.-]+)?$/.test(version)) {
    throw new InvalidKafkaOptionsError(`The Kafka Maven descriptor pins an unreadable version "${version}"`);
  }
  return version;
}

/**
 * The cache folder name: the version (for people) plus a hash of the descriptor, so a
 * changed descriptor (say, another logging binding) is fetched afresh rather than
 * silently served from an older folder.
 */
export function runtimeCacheKey(version: string, pomXml: string): string {
  return `${version}-${createHash('sha256').update(pomXml).digest('hex').slice(0, 10)}`;
}

function readyRuntime(dir: string, version: string): KafkaRuntime | undefined {
  if (!existsSync(path.join(dir, READY_MARKER))) return undefined;
  const libsDir = path.join(dir, 'libs');
  return { version, libsDir, classPath: path.join(libsDir, '*'), fetched: false };
}

function runMaven(mvn: string, args: string[], env: Env, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(mvn, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new KafkaFetchError(`Could not run ${mvn}: ${error.message}`, { cause: error }));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else {
        const how = signal ? `was killed by ${signal} (limit ${timeoutMs} ms)` : `exited with code ${code}`;
        reject(new KafkaFetchError(`Fetching Kafka with Maven failed: \`mvn ${args.join(' ')}\` ${how}.\n${output.trim()}`));
      }
    });
  });
}

/**
 * Returns the pinned Kafka's jars, fetching them with Maven the first time.
 *
 * Safe under concurrency: a lock file keeps parallel callers from fetching twice, and
 * the jars are fetched into a private staging folder that is renamed into place only
 * when complete (with its marker inside), so nobody ever sees a half-filled cache.
 */
export async function ensureKafkaRuntime(options: EnsureKafkaRuntimeOptions): Promise<KafkaRuntime> {
  const env = options.env ?? process.env;
  let pomXml: string;
  try {
    pomXml = readFileSync(options.pomPath, 'utf8');
  } catch (error) {
    throw new InvalidKafkaOptionsError(`Cannot read the Kafka Maven descriptor ${options.pomPath}: ${(error as Error).message}`);
  }
  const version = readPinnedKafkaVersion(pomXml);
  const finalDir = path.join(options.cacheDir, runtimeCacheKey(version, pomXml));
  const cached = readyRuntime(finalDir, version);
  if (cached) return cached;

  const mvn = resolveMaven(env);
  mkdirSync(options.cacheDir, { recursive: true });
  return withFileLock(
    `${finalDir}.lock`,
    { timeoutMs: (options.fetchTimeoutMs ?? 600_000) + 60_000, staleMs: (options.fetchTimeoutMs ?? 600_000) + 60_000 },
    () => readyRuntime(finalDir, version),
    async () => {
      const staging = path.join(options.cacheDir, `.staging-${process.pid}-${randomBytes(4).toString('hex')}`);
      const stagingLibs = path.join(staging, 'libs');
      try {
        const started = Date.now();
        options.log?.(`Fetching Apache Kafka ${version} jars with Maven into ${finalDir} (once)...`);
        await runMaven(
          mvn,
          ['-q', '-B', '-f', options.pomPath, 'dependency:copy-dependencies', `-DoutputDirectory=${stagingLibs}`, '-DincludeScope=runtime'],
          env,
          options.fetchTimeoutMs ?? 600_000,
        );
        const jars = existsSync(stagingLibs) ? readdirSync(stagingLibs).filter((name) => name.endsWith('.jar')) : [];
        if (!jars.includes(`kafka_2.13-${version}.jar`)) {
          throw new KafkaFetchError(`Maven finished but ${stagingLibs} lacks kafka_2.13-${version}.jar (found: ${jars.join(', ') || 'nothing'})`);
        }
        const fetchMs = Date.now() - started;
        writeFileSync(
          path.join(staging, READY_MARKER),
          JSON.stringify({ version, jars: jars.length, fetchMs, fetchedAt: new Date().toISOString() }, null, 2),
        );
        try {
          renameSync(staging, finalDir);
        } catch (error) {
          // Another process published first (the lock was broken as stale): theirs is complete too.
          const code = (error as NodeJS.ErrnoException).code;
          if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
        }
        options.log?.(`Fetched ${jars.length} jars in ${(fetchMs / 1000).toFixed(1)} s`);
        const runtime = readyRuntime(finalDir, version);
        if (!runtime) throw new KafkaFetchError(`The Kafka cache ${finalDir} is incomplete after fetching`);
        return { ...runtime, fetched: true };
      } finally {
        rmSync(staging, { recursive: true, force: true });
      }
    },
  );
}
