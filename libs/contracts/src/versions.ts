/**
 * Which versions produced a result (docs/architecture.md, "Versions"): per
 * stage its package/image version, a hash of its effective configuration and
 * the content hashes of the model files it loaded. Each stage appends its own
 * entry to the `conveyor-versions` header of what it emits; the stage that
 * writes the result copies the list into the result envelope (`versions`).
 *
 * Hashes travel as prefixes (`HASH_PREFIX_CHARS` hex characters of the
 * SHA-256) to keep the header small: 48 bits tell model files and
 * configurations apart; the stage's `/version` endpoint and its
 * `conveyor_stage_info` metric carry the full model SHA-256.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { headerString, type KafkaHeaders } from './cloudevents';
import { ConveyorHeader } from './conveyor-headers';
import { ContractError, quote } from './errors';

/** Hex characters of a SHA-256 kept in the header and in results. */
export const HASH_PREFIX_CHARS = 12;

/** Bounds that keep the header small however a request loops or a producer misbehaves. */
export const VersionLimits = {
  maxStages: 32,
  maxModelsPerStage: 16,
  maxHeaderBytes: 4096,
} as const;

/** The header each stage appends its entry to (JSON array, pipeline order). */
export const VERSIONS_HEADER = ConveyorHeader.versions;

const HEX_HASH = /^[0-9a-f]{12,64}$/;
const hexHash = z.string().regex(HEX_HASH, 'must be 12-64 lower-case hex characters');

export const ModelVersionSchema = z.object({
  /** The model file's name (no directory). */
  name: z.string().min(1).max(128),
  /** SHA-256 of the file's content: its first HASH_PREFIX_CHARS hex characters in headers and results. */
  sha256: hexHash,
});

export const StageVersionSchema = z.object({
  /** The stage's name in its pipeline. */
  stage: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_", "-"'),
  /** Package or image version (CONVEYOR_VERSION, else the root package.json's). */
  version: z.string().min(1).max(64),
  /** Hash of the stage's effective configuration (secrets, addresses and ports left out). */
  configHash: hexHash,
  /** The model files the stage loaded; empty for stages without a model. */
  models: z.array(ModelVersionSchema).max(VersionLimits.maxModelsPerStage),
});

export const StageVersionsSchema = z.array(StageVersionSchema).max(VersionLimits.maxStages);

export type ModelVersion = z.infer<typeof ModelVersionSchema>;
export type StageVersion = z.infer<typeof StageVersionSchema>;

/** The first HASH_PREFIX_CHARS characters of a hex hash. */
export function hashPrefix(hex: string): string {
  return hex.slice(0, HASH_PREFIX_CHARS).toLowerCase();
}

/** A stage's entry as it travels: hashes cut to their prefixes. */
export function shortStageVersion(entry: StageVersion): StageVersion {
  return {
    stage: entry.stage,
    version: entry.version,
    configHash: hashPrefix(entry.configHash),
    models: entry.models.map((m) => ({ name: m.name, sha256: hashPrefix(m.sha256) })),
  };
}

/**
 * JSON with object keys sorted at every level and `undefined` members left
 * out: the same value always gives the same text, whatever order its keys
 * were set in.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortKeys(v)));
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort()
        .map((k) => [k, sortKeys(record[k])]),
    );
  }
  return value;
}

/** Full SHA-256 (hex) of `values`' canonical JSON: a configuration's hash. */
export function configHash(values: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(values)).digest('hex');
}

function versionsError(why: string): ContractError {
  return new ContractError('INVALID_HEADER', `Kafka header "${VERSIONS_HEADER}" ${why}`);
}

/** Validates a decoded versions list; throws INVALID_HEADER naming the problem. */
export function validateVersions(value: unknown): StageVersion[] {
  const parsed = StageVersionsSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw versionsError(`is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The versions a message carries; `[]` when the header is absent. Throws INVALID_HEADER when it is malformed. */
export function parseVersions(headers: KafkaHeaders | undefined): StageVersion[] {
  const raw = headerString(headers, VERSIONS_HEADER);
  if (raw === undefined) return [];
  const bytes = Buffer.byteLength(raw, 'utf8');
  if (bytes > VersionLimits.maxHeaderBytes) throw versionsError(`is ${bytes} bytes, over the limit of ${VersionLimits.maxHeaderBytes}`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw versionsError(`is not valid JSON (got ${quote(raw.slice(0, 200))})`);
  }
  return validateVersions(json);
}

/** parseVersions that never throws (a dead letter's headers): `[]` for a malformed header. */
export function parseVersionsLeniently(headers: KafkaHeaders | undefined): StageVersion[] {
  try {
    return parseVersions(headers);
  } catch {
    return [];
  }
}

/**
 * `versions` with `entry` (shortened) appended. A stage already in the list
 * (a request looping through it) has its entry replaced in place, so the list
 * stays in pipeline order and bounded.
 */
export function withVersion(versions: readonly StageVersion[], entry: StageVersion): StageVersion[] {
  const short = shortStageVersion(entry);
  const index = versions.findIndex((v) => v.stage === short.stage);
  const next = index >= 0 ? versions.map((v, i) => (i === index ? short : v)) : [...versions, short];
  return validateVersions(next);
}

/** The header's value: compact JSON, checked against the limits. */
export function formatVersions(versions: readonly StageVersion[]): string {
  const text = JSON.stringify(validateVersions(versions));
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > VersionLimits.maxHeaderBytes) throw versionsError(`would be ${bytes} bytes, over the limit of ${VersionLimits.maxHeaderBytes}`);
  return text;
}
