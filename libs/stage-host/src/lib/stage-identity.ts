import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { configHash, hashPrefix, shortStageVersion, type ModelVersion, type StageVersion } from '@conveyor/contracts';
import type { StageVersionSource } from '@conveyor/stage-runtime';

/**
 * Runtime variables that say where a stage runs, not how it works: addresses,
 * ports, names and log verbosity. They are left out of the configuration hash,
 * so two replicas of the same stage configured alike hash alike wherever they
 * run (docs/architecture.md, "Versions").
 */
export const UNHASHED_RUNTIME_VARIABLES: readonly string[] = [
  'KAFKA_BROKERS',
  'KAFKA_CLIENT_ID',
  'REDIS_URL',
  'HTTP_HOST',
  'HTTP_PORT',
  'LOG_LEVEL',
  'TOPIC_PREFIX',
  // Where a shadow reads and writes, not what it computes (docs/architecture.md, "Shadow").
  'INPUT_TOPIC',
  'RESULT_KEY_PREFIX',
  'PIPELINE',
  'STAGE',
  // How long Redis keeps things: a replay or an operator changes these without changing what a stage computes.
  'RESULT_TTL_SECONDS',
  'CLAIM_TTL_SECONDS',
  'POISON_MARKER_TTL_SECONDS',
];

/** Variables that look like secrets or addresses are never hashed, whatever stage declares them. */
const SECRET_OR_ADDRESS = /(PASSWORD|SECRET|TOKEN|CREDENTIALS?|API_KEY|_URL|_URI|_HOST|_PORT|BROKERS)$/;

/**
 * The hash of a stage's effective configuration: every validated variable
 * (the runtime's and the stage's own, defaults and pipeline-definition values
 * included), without secrets, addresses, ports and the `unhashed` ones, as
 * canonical JSON (sorted keys). Full SHA-256 hex.
 */
export function stageConfigHash(values: Record<string, unknown>, unhashed: readonly string[] = []): string {
  const skip = new Set([...UNHASHED_RUNTIME_VARIABLES, ...unhashed]);
  const kept = Object.fromEntries(Object.entries(values).filter(([name]) => !skip.has(name) && !SECRET_OR_ADDRESS.test(name)));
  return configHash(kept);
}

/**
 * The stage's package or image version: CONVEYOR_VERSION when set (images
 * and deployments may set it), else the version of the nearest package.json
 * above `from` (the repository's in a checkout; the one the image build
 * writes beside the compiled app in a container), else `0.0.0-unknown`.
 */
export function stagePackageVersion(env: NodeJS.ProcessEnv = process.env, from: string = __dirname): string {
  const fromEnv = env['CONVEYOR_VERSION']?.trim();
  if (fromEnv) return fromEnv;
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const version = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
        if (typeof version === 'string' && version) return version;
      } catch {
        // An unreadable package.json says nothing about our version: look further up.
      }
    }
    if (dirname(dir) === dir) return '0.0.0-unknown';
  }
}

/** SHA-256 (hex) of a file's content, streamed. */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** What a stage process reports about itself: GET /version, `conveyor status` (model SHA-256 in full). */
export interface StageVersionReport extends StageVersion {
  pipeline: string;
}

/**
 * This stage process' version identity: its package version, configuration
 * hash and model files (name + SHA-256 of the content), known once the
 * models are loaded, before the stage consumes. The runtime appends its
 * `entry()` (hashes shortened) to `conveyor-versions` of every output.
 */
export class StageIdentity implements StageVersionSource {
  private models: ModelVersion[] = [];
  private readonly listeners: Array<(report: StageVersionReport) => void> = [];

  constructor(
    readonly pipeline: string,
    readonly stage: string,
    readonly version: string,
    readonly configHash: string,
  ) {}

  /** Hashes the model files the stage loads and records them (in the order given, after earlier ones). */
  async addModelFiles(paths: readonly string[]): Promise<void> {
    const hashed = await Promise.all(paths.map(async (path) => ({ name: basename(path), sha256: await sha256File(path) })));
    this.models = [...this.models.filter((m) => !hashed.some((h) => h.name === m.name)), ...hashed];
    const report = this.report();
    for (const listener of this.listeners) listener(report);
  }

  /** Calls `listener` now and whenever the models change (the stage_info metric). */
  onChange(listener: (report: StageVersionReport) => void): void {
    this.listeners.push(listener);
    listener(this.report());
  }

  /** Model hashes in full; the configuration hash as its 12-character prefix, as everywhere. */
  report(): StageVersionReport {
    return { pipeline: this.pipeline, stage: this.stage, version: this.version, configHash: hashPrefix(this.configHash), models: this.models.map((m) => ({ ...m })) };
  }

  /** The entry this stage appends to `conveyor-versions`: hashes shortened. */
  entry(): StageVersion {
    const { stage, version, configHash, models } = this.report();
    return shortStageVersion({ stage, version, configHash, models });
  }
}
