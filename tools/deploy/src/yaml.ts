/**
 * A small YAML writer for the generated deployment files: block style, two
 * spaces, comments where a reader needs the reason, and anchors/merge keys for
 * compose. It writes only what these files use (maps, sequences, strings,
 * numbers, booleans, null) and quotes every string that a YAML 1.1 or 1.2
 * reader could take for anything but a string, so podman-compose (PyYAML),
 * Docker Compose, kubectl/kustomize and yamllint all read the same values.
 */

/** A value with comment lines written before it (a map key, a sequence item or a document). */
export class Commented {
  constructor(
    readonly comment: string,
    readonly value: unknown,
  ) {}
}

/** A scalar with a comment after it on the same line. */
export class Trailing {
  constructor(
    readonly value: string | number | boolean,
    readonly comment: string,
  ) {}
}

/** A short sequence written inline: `[ALL]`; `quoted` writes every item double-quoted (`["CMD", "node"]`). */
export class Flow {
  constructor(
    readonly items: readonly (string | number)[],
    readonly quoted = false,
  ) {}
}

/** A map that defines an anchor (`x-stage: &stage`). */
export class Anchored {
  constructor(
    readonly anchor: string,
    readonly value: Record<string, unknown>,
  ) {}
}

/** A map whose entries are separated by blank lines (compose's services, a file's top level). */
export class Spaced {
  constructor(readonly value: Record<string, unknown>) {}
}

/** A reference to an anchor (`<<: *stage`). */
export class Alias {
  constructor(readonly anchor: string) {}
}

export const commented = (comment: string, value: unknown) => new Commented(comment, value);
export const trailing = (value: string | number | boolean, comment: string) => new Trailing(value, comment);
export const flow = (items: readonly (string | number)[], quoted = false) => new Flow(items, quoted);
export const anchored = (anchor: string, value: Record<string, unknown>) => new Anchored(anchor, value);
export const alias = (anchor: string) => new Alias(anchor);
export const spaced = (value: Record<string, unknown>) => new Spaced(value);

/** The merge key: `{ [MERGE]: alias('stage') }` writes `<<: *stage`. */
export const MERGE = '<<';

const RESERVED = /^(?:true|false|yes|no|on|off|y|n|null|~|=)$/i;
const PLAIN_FIRST = /^[A-Za-z_/$.]/;
const PLAIN_REST = /^[A-Za-z0-9 _./:@,=$!%&*+?{}()~<>^-]*$/;
const FLOW_PLAIN = /^[A-Za-z_/$][A-Za-z0-9_./:@=$-]*$/;

function isPlainSafe(s: string, pattern = PLAIN_REST): boolean {
  return (
    s.length > 0 &&
    PLAIN_FIRST.test(s) &&
    pattern.test(s) &&
    !RESERVED.test(s) &&
    // A number in any spelling (.5, 1e3) or something YAML 1.1 reads as one.
    Number.isNaN(Number(s)) &&
    !/^\.(?:inf|nan)$/i.test(s) &&
    s.trim() === s &&
    !s.includes(': ') &&
    !s.includes(' #') &&
    !s.endsWith(':')
  );
}

/** A string as a YAML scalar: plain when unambiguous, else double-quoted (JSON escapes are YAML escapes). */
export function scalar(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as YAML`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return isPlainSafe(value) ? value : JSON.stringify(value);
}

function key(k: string): string {
  if (k === MERGE) return k;
  return isPlainSafe(k) ? k : JSON.stringify(k);
}

function flowItem(item: string | number, quoted: boolean): string {
  if (typeof item === 'number') return String(item);
  return !quoted && isPlainSafe(item, FLOW_PLAIN) ? item : JSON.stringify(item);
}

function commentLines(comment: string, pad: string): string[] {
  return comment.split('\n').map((line) => (line.length > 0 ? `${pad}# ${line}` : `${pad}#`));
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/** The text after `key:` when the value fits on that line, else undefined. */
function inline(value: unknown): string | undefined {
  if (value === undefined) throw new Error('undefined has no YAML form; leave the key out instead');
  if (value === null) return '';
  if (typeof value === 'string') {
    if (value.includes('\n')) return undefined;
    return scalar(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return scalar(value);
  if (value instanceof Trailing) return `${scalar(value.value)} # ${value.comment}`;
  if (value instanceof Flow) return `[${value.items.map((i) => flowItem(i, value.quoted)).join(', ')}]`;
  if (value instanceof Alias) return `*${value.anchor}`;
  if (Array.isArray(value) && value.length === 0) return '[]';
  if (isMap(value) && Object.keys(value).length === 0) return '{}';
  return undefined;
}

function block(text: string, pad: string): string[] {
  const chomp = text.endsWith('\n') ? '' : '-';
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (body.split('\n').some((line) => /\s$/.test(line))) throw new Error('a block scalar line ends in whitespace');
  return [`|${chomp}`, ...body.split('\n').map((line) => (line.length > 0 ? `${pad}${line}` : ''))];
}

function mapLines(map: Record<string, unknown>, indent: number, blankLines = false): string[] {
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  for (const [k, raw] of Object.entries(map)) {
    if (raw === undefined) continue;
    if (blankLines && out.length > 0) out.push('');
    let value: unknown = raw;
    while (value instanceof Commented) {
      out.push(...commentLines(value.comment, pad));
      value = value.value;
    }
    out.push(...entryLines(`${pad}${key(k)}:`, value, indent));
  }
  return out;
}

/** `head` is `<pad>key:` or `<pad>-`; the value follows on the same line or below it. */
function entryLines(head: string, value: unknown, indent: number): string[] {
  const text = inline(value);
  if (text !== undefined) return [text === '' ? head : `${head} ${text}`];
  if (typeof value === 'string') {
    const [indicator, ...rest] = block(value, ' '.repeat(indent + 2));
    return [`${head} ${indicator}`, ...rest];
  }
  if (value instanceof Anchored) return [`${head} &${value.anchor}`, ...mapLines(value.value, indent + 2)];
  if (value instanceof Spaced) return [head, ...mapLines(value.value, indent + 2, true)];
  if (Array.isArray(value)) return [head, ...seqLines(value, indent + 2)];
  if (isMap(value)) return [head, ...mapLines(value, indent + 2)];
  throw new Error(`cannot write ${Object.prototype.toString.call(value)} as YAML`);
}

function seqLines(items: readonly unknown[], indent: number): string[] {
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  for (let item of items) {
    while (item instanceof Commented) {
      out.push(...commentLines(item.comment, pad));
      item = item.value;
    }
    if (isMap(item) && Object.keys(item).length > 0) {
      // The first entry shares the dash's line; the rest line up under it.
      const lines = mapLines(item, indent + 2);
      const first = lines.findIndex((line) => !line.trimStart().startsWith('#'));
      if (first > 0) throw new Error('comment the sequence item, not its first key');
      out.push(`${pad}- ${lines[0].trimStart()}`, ...lines.slice(1));
    } else {
      out.push(...entryLines(`${pad}-`, item, indent));
    }
  }
  return out;
}

/** One YAML document (no `---`), ending in a newline. */
export function toYaml(value: unknown): string {
  let v = value;
  const out: string[] = [];
  while (v instanceof Commented) {
    out.push(...commentLines(v.comment, ''));
    v = v.value;
  }
  if (v instanceof Spaced) out.push(...mapLines(v.value, 0, true));
  else if (isMap(v)) out.push(...mapLines(v, 0));
  else if (Array.isArray(v)) out.push(...seqLines(v, 0));
  else throw new Error('a YAML document here is a map or a sequence');
  return `${out.join('\n')}\n`;
}

/** A file: the header comment, a blank line, then each document (`---` before each when there are several). */
export function yamlFile(header: string, documents: readonly unknown[]): string {
  const head = `${commentLines(header, '').join('\n')}\n\n`;
  if (documents.length === 1) return head + toYaml(documents[0]);
  return head + documents.map((d) => `---\n${toYaml(d)}`).join('');
}
