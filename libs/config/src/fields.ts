/**
 * Zod schemas for single environment variables. Each takes the raw string,
 * returns a typed value, and on failure says what the variable must be and
 * what it got, e.g. `must be a positive integer (got "0")`. loadConfig puts
 * the variable name in front. Defaults go in as env strings with
 * `.prefault('…')`, so they pass through the same parsing and read in the
 * config table exactly as one would write them.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

/** A variable's parser result: the value, or why the raw text is unusable (optional detail). */
type Parsed<T> = { ok: true; value: T } | { ok: false; detail?: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (detail?: string): Parsed<never> => ({ ok: false, detail });

function shown(raw: string): string {
  const text = JSON.stringify(raw);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/** The string a variable must be given, with the "not set" message every variable shares. */
const rawString = (): z.ZodString =>
  z.string({ error: (issue) => (issue.input === undefined ? 'is required but not set' : 'must be a string') });

/**
 * Builds a variable schema from `parse`. The value is trimmed first: a
 * stray space from a YAML file is not worth a failed start-up.
 * `display` can hide secrets in the echoed value.
 */
export function envVar<T>(
  expectation: string,
  parse: (value: string) => Parsed<T>,
  display: (raw: string) => string = shown,
): z.ZodPipe<z.ZodString, z.ZodTransform<Awaited<T>, string>> {
  return rawString().transform((raw, ctx) => {
    const result = parse(raw.trim());
    if (result.ok) return result.value;
    const detail = result.detail === undefined ? '' : `: ${result.detail}`;
    ctx.addIssue({ code: 'custom', message: `${expectation} (got ${display(raw)}${detail})` });
    return z.NEVER;
  });
}

function parseInteger(text: string, min: number, max: number): Parsed<number> {
  if (!/^[0-9]+$/.test(text)) return bad();
  const value = Number(text);
  return Number.isSafeInteger(value) && value >= min && value <= max ? ok(value) : bad();
}

export interface IntOptions {
  max?: number;
}

function rangeText(min: number, max: number | undefined, fallback: string): string {
  return max === undefined ? fallback : `must be an integer from ${min} to ${max}`;
}

/** An integer >= 1 (digits only: no sign, decimals or exponent). */
export function positiveInt(options: IntOptions = {}) {
  const { max } = options;
  return envVar(rangeText(1, max, 'must be a positive integer'), (v) =>
    parseInteger(v, 1, max ?? Number.MAX_SAFE_INTEGER),
  );
}

/** An integer >= 0. */
export function nonNegativeInt(options: IntOptions = {}) {
  const { max } = options;
  return envVar(rangeText(0, max, 'must be a non-negative integer'), (v) =>
    parseInteger(v, 0, max ?? Number.MAX_SAFE_INTEGER),
  );
}

/** A TCP port; 0 (any free port, for listeners) unless `allowZero` is false. */
export function portVar(options: { allowZero?: boolean } = {}) {
  const min = options.allowZero === false ? 1 : 0;
  return envVar(`must be a port number from ${min === 0 ? '0 (any free port)' : '1'} to 65535`, (v) =>
    parseInteger(v, min, 65535),
  );
}

const DURATION_UNITS: Readonly<Record<string, number>> = { '': 1, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration in milliseconds: `500` or `500ms`, `1.5s`, `5m`, `1h`; rounded to whole ms. */
export function durationMs(options: IntOptions = {}) {
  const { max } = options;
  const limit = max === undefined ? '' : ` of at most ${max}ms`;
  return envVar(`must be a duration${limit} in milliseconds, e.g. 500, 500ms, 1.5s, 5m or 1h`, (v) => {
    const m = /^([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)?$/.exec(v);
    if (!m) return bad();
    const ms = Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? '']);
    if (!Number.isSafeInteger(ms)) return bad();
    return max !== undefined && ms > max ? bad() : ok(ms);
  });
}

/** `true`/`false`/`1`/`0`, any case. */
export function booleanVar() {
  return envVar('must be true, false, 1 or 0', (v) => {
    const lower = v.toLowerCase();
    if (lower === 'true' || lower === '1') return ok(true);
    if (lower === 'false' || lower === '0') return ok(false);
    return bad();
  });
}

/** One of `values`, any case. */
export function enumVar<const T extends readonly [string, ...string[]]>(values: T) {
  return envVar(`must be one of ${values.join(', ')}`, (v) => {
    const match = values.find((allowed) => allowed.toLowerCase() === v.toLowerCase());
    return match === undefined ? bad() : ok(match as T[number]);
  });
}

/**
 * A comma-separated, ordered list of `values` (an order of preference, like
 * ORT execution providers `cuda,cpu`), at least one, no repeats.
 */
export function enumList<const T extends readonly [string, ...string[]]>(values: T) {
  return envVar(`must be a comma-separated list of ${values.join(', ')}`, (v) => {
    const items = v.split(',').map((s) => s.trim());
    const out: T[number][] = [];
    for (const item of items) {
      if (item === '') return bad('empty entry');
      const match = values.find((allowed) => allowed.toLowerCase() === item.toLowerCase());
      if (match === undefined) return bad(`unknown ${JSON.stringify(item)}`);
      if (out.includes(match)) return bad(`${JSON.stringify(match)} is listed twice`);
      out.push(match);
    }
    return ok(out);
  });
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A pino log level. */
export function logLevelVar() {
  return enumVar(LOG_LEVELS);
}

const HOSTNAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

function brokerProblem(entry: string): string | undefined {
  if (entry === '') return 'empty entry';
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+):([^:]*)$/.exec(entry);
  if (!m)
    return entry.includes(':') ? `${JSON.stringify(entry)} is not host:port` : `${JSON.stringify(entry)} has no port`;
  const [, host, port] = m;
  if (!host.startsWith('[') && !HOSTNAME.test(host)) return `${JSON.stringify(host)} is not a host name or address`;
  if (!parseInteger(port, 1, 65535).ok) return `${JSON.stringify(port)} is not a port from 1 to 65535`;
  return undefined;
}

/** Kafka bootstrap servers: `host:port[,host:port…]` (IPv6 as `[::1]:9092`). */
export function brokersVar() {
  return envVar('must be a comma-separated list of host:port', (v) => {
    const entries = v.split(',').map((s) => s.trim());
    for (const entry of entries) {
      const problem = brokerProblem(entry);
      if (problem !== undefined) return bad(problem);
    }
    return ok(entries);
  });
}

/** A URL as written but with any password replaced, so config errors never leak a secret into logs. */
export function redactUrl(raw: string): string {
  return raw.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^@/?#]*)@/, (_all, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${scheme}${colon === -1 ? userinfo : `${userinfo.slice(0, colon)}:***`}@`;
  });
}

/**
 * A URL whose scheme is one of `protocols` (default: Redis, `redis://` or
 * `rediss://` for TLS) with a host. Kept as the string given.
 */
export function urlVar(protocols: readonly string[] = ['redis', 'rediss']) {
  const schemes = protocols.map((p) => `${p}://`).join(' or ');
  return envVar(
    `must be a ${schemes} URL`,
    (v) => {
      let url: URL;
      try {
        url = new URL(v);
      } catch {
        return bad('not a URL');
      }
      if (!protocols.includes(url.protocol.replace(/:$/, ''))) return bad(`scheme ${url.protocol.replace(/:$/, '')}`);
      if (url.hostname === '') return bad('no host');
      return ok(v);
    },
    (raw) => shown(redactUrl(raw)),
  );
}

/** A file system path, resolved against the working directory; optionally required to exist as a file or directory. */
export function pathVar(options: { mustExist?: 'file' | 'directory' } = {}) {
  const { mustExist } = options;
  return envVar(mustExist === undefined ? 'must be a path' : `must be the path of an existing ${mustExist}`, (v) => {
    const path = resolve(v);
    if (mustExist === undefined) return ok(path);
    let isFile: boolean;
    try {
      isFile = statSync(path).isFile();
    } catch (error) {
      return bad((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message);
    }
    if (mustExist === 'file' && !isFile) return bad('it is a directory');
    if (mustExist === 'directory' && isFile) return bad('it is a file');
    return ok(path);
  });
}

/** A string matching `pattern`; `expectation` says in words what that means. */
export function patternVar(pattern: RegExp, expectation: string) {
  return envVar(expectation, (v) => (pattern.test(v) ? ok(v) : bad()));
}

/** A Kafka client.id / group.id: the characters Kafka allows in topic names. */
export function kafkaNameVar() {
  return patternVar(/^[A-Za-z0-9._-]{1,249}$/, 'must be 1-249 characters of A-Z a-z 0-9 . _ -');
}

/** A Redis key prefix (RESULT_KEY_PREFIX): letters, digits and `: . _ -`, ending with `:` like every key prefix here. */
export function redisKeyPrefixVar() {
  return patternVar(/^[A-Za-z0-9._-][A-Za-z0-9:._-]{0,198}:$/, 'must be 2-200 characters of A-Z a-z 0-9 : . _ -, ending with ":"');
}

/** Optional TOPIC_PREFIX: short enough that every prefixed topic stays a legal Kafka name. */
export function topicPrefixVar() {
  return patternVar(/^[A-Za-z0-9._-]{0,200}$/, 'must be at most 200 characters of A-Z a-z 0-9 . _ -');
}
