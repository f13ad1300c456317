/**
 * CloudEvents 1.0 over Kafka in binary content mode (CloudEvents Kafka
 * protocol binding §3.2): the payload is the message value, each attribute a
 * `ce_<name>` header, `datacontenttype` the `content-type` header. W3C trace
 * context rides along in `traceparent` / `tracestate`.
 */
import { randomUUID } from 'node:crypto';
import { ContractError, quote } from './errors';
import { requestIdProblem } from './request-id';

export const CloudEventHeader = {
  specversion: 'ce_specversion',
  id: 'ce_id',
  source: 'ce_source',
  type: 'ce_type',
  time: 'ce_time',
  subject: 'ce_subject',
  contentType: 'content-type',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

export interface CloudEventAttributes {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time?: string;
  subject?: string;
  contentType?: string;
  traceparent?: string;
  tracestate?: string;
}

/** kafkajs' IHeaders: a header repeated on the wire arrives as an array. */
export type KafkaHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** A header value that was present but unusable and was dropped rather than fatal. */
export interface IgnoredHeader {
  header: string;
  reason: string;
}

export interface CloudEventReadResult {
  attributes: CloudEventAttributes;
  ignored: IgnoredHeader[];
}

export const CLOUD_EVENT_TYPE_PREFIX = 'conveyor.';

function decode(value: Buffer | string): string {
  return typeof value === 'string' ? value : value.toString('utf8');
}

function rawHeader(headers: KafkaHeaders, name: string): KafkaHeaders[string] {
  if (Object.prototype.hasOwnProperty.call(headers, name)) return headers[name];
  // Kafka header names are case-sensitive and we always write lower case, but
  // other producers (HTTP bridges) sometimes send "Content-Type": read leniently.
  const lower = name.toLowerCase();
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === lower) return headers[key];
  }
  return undefined;
}

/**
 * The value of header `name` as a string: Buffers decode as UTF-8, and of a
 * repeated header the first value counts. Undefined when absent.
 */
export function headerString(headers: KafkaHeaders | undefined, name: string): string | undefined {
  if (headers === undefined || headers === null) return undefined;
  const value = rawHeader(headers, name);
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) {
    const first = value.find((v) => v !== undefined && v !== null);
    return first === undefined ? undefined : decode(first);
  }
  return decode(value);
}

/** Every value of a (possibly repeated) header, decoded as UTF-8. */
export function headerStrings(headers: KafkaHeaders | undefined, name: string): string[] {
  if (headers === undefined || headers === null) return [];
  const value = rawHeader(headers, name);
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).filter((v) => v !== undefined && v !== null).map(decode);
}

export function newRequestId(): string {
  return randomUUID();
}

/** `conveyor.<topic or step>.v<version>`, e.g. cloudEventType('ocr.regions') = 'conveyor.ocr.regions.v1'. */
export function cloudEventType(topicOrStep: string, version = 1): string {
  if (typeof topicOrStep !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(topicOrStep)) {
    throw new ContractError(
      'INVALID_HEADER',
      `CloudEvent type name must start with a letter or digit and use only letters, digits, ".", "_", "-" (got ${quote(topicOrStep)})`,
    );
  }
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new ContractError(
      'INVALID_HEADER',
      `CloudEvent type version must be a positive integer (got ${quote(version)})`,
    );
  }
  return `${CLOUD_EVENT_TYPE_PREFIX}${topicOrStep}.v${version}`;
}

/** Inverse of cloudEventType; undefined for types that are not Conveyor's. */
export function parseCloudEventType(type: string): { name: string; version: number } | undefined {
  const match = /^conveyor\.([A-Za-z0-9][A-Za-z0-9._-]*)\.v([1-9][0-9]*)$/.exec(type);
  if (!match) return undefined;
  const version = Number(match[2]);
  return Number.isSafeInteger(version) ? { name: match[1], version } : undefined;
}

/** The `ce_source` a Conveyor component writes: a URI-reference such as `/conveyor/preprocess`. */
export function cloudEventSource(component: string): string {
  const source = `/conveyor/${component}`;
  if (!isUriReference(source) || component.length === 0 || component.includes('/')) {
    throw new ContractError(
      'INVALID_HEADER',
      `CloudEvent source component must be one URI path segment (got ${quote(component)})`,
    );
  }
  return source;
}

// RFC 3986 URI-reference, checked at the character level: unreserved,
// reserved and well-formed percent-escapes only. Structure beyond that is the
// producer's business; what matters here is that it survives logs and URLs.
const URI_REFERENCE = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+$/;
const SCHEME_PREFIX = /^([^:/?#]+):/;

export function isUriReference(value: string): boolean {
  if (!URI_REFERENCE.test(value)) return false;
  const scheme = SCHEME_PREFIX.exec(value);
  return scheme === null || /^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme[1]);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;

/** RFC 3339 date-time (the CloudEvents Timestamp type), with real calendar and clock ranges. */
export function isRfc3339(value: string): boolean {
  const m = RFC3339.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return false;
  // 60 allows a leap second, as RFC 3339 §5.7 does.
  if (hour > 23 || minute > 59 || second > 60) return false;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return false;
  return true;
}

// W3C Trace Context §3.2: version-traceid-parentid-flags, lower-case hex.
// Version ff is invalid; all-zero ids are invalid; a future version may
// append fields after a "-", version 00 may not.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

export function isValidTraceparent(value: string): boolean {
  const m = TRACEPARENT.exec(value);
  if (!m) return false;
  const [, version, traceId, parentId, , rest] = m;
  if (version === 'ff') return false;
  if (version === '00' && rest !== undefined) return false;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return false;
  return true;
}

// C0 and C1 controls are forbidden in CloudEvents String attributes (spec §Type System).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

function missing(header: string, attribute: string): ContractError {
  return new ContractError('MISSING_HEADER', `missing Kafka header "${header}" (CloudEvents attribute ${attribute})`);
}

function invalid(header: string, what: string, value: string): ContractError {
  return new ContractError('INVALID_HEADER', `Kafka header "${header}" ${what} (got ${quote(value)})`);
}

function checkId(id: string): void {
  const problem = requestIdProblem(id);
  if (problem !== undefined) throw invalid(CloudEventHeader.id, problem, id);
}

function checkSource(source: string): void {
  if (source.length === 0) throw invalid(CloudEventHeader.source, 'must not be empty', source);
  if (!isUriReference(source)) throw invalid(CloudEventHeader.source, 'must be a URI-reference (RFC 3986)', source);
}

function checkText(header: string, value: string): void {
  if (value.length === 0) throw invalid(header, 'must not be empty', value);
  if (CONTROL_CHARS.test(value)) throw invalid(header, 'must not contain control characters', value);
}

function checkTime(time: string): void {
  if (!isRfc3339(time)) throw invalid(CloudEventHeader.time, 'must be an RFC 3339 timestamp', time);
}

function required(headers: KafkaHeaders, header: string, attribute: string): string {
  const value = headerString(headers, header);
  if (value === undefined) throw missing(header, attribute);
  return value;
}

/**
 * Reads and validates the CloudEvent attributes of a Kafka message. Required
 * attributes (specversion, id, source, type) throw MISSING_HEADER /
 * INVALID_HEADER naming the header. An invalid `traceparent` is dropped with
 * its `tracestate` and reported in `ignored`, never fatal: W3C Trace Context
 * §3.2.2 says a receiver that cannot parse traceparent must start a new trace,
 * and losing a trace link is no reason to lose a request.
 */
export function readCloudEventHeaders(headers: KafkaHeaders): CloudEventReadResult {
  const specversion = required(headers, CloudEventHeader.specversion, 'specversion');
  if (specversion !== '1.0') throw invalid(CloudEventHeader.specversion, 'must be "1.0"', specversion);
  const id = required(headers, CloudEventHeader.id, 'id');
  checkId(id);
  const source = required(headers, CloudEventHeader.source, 'source');
  checkSource(source);
  const type = required(headers, CloudEventHeader.type, 'type');
  checkText(CloudEventHeader.type, type);

  const attributes: CloudEventAttributes = { specversion: '1.0', id, source, type };
  const ignored: IgnoredHeader[] = [];

  const time = headerString(headers, CloudEventHeader.time);
  if (time !== undefined) {
    checkTime(time);
    attributes.time = time;
  }
  const subject = headerString(headers, CloudEventHeader.subject);
  if (subject !== undefined) {
    checkText(CloudEventHeader.subject, subject);
    attributes.subject = subject;
  }
  const contentType = headerString(headers, CloudEventHeader.contentType);
  if (contentType !== undefined) {
    checkText(CloudEventHeader.contentType, contentType);
    attributes.contentType = contentType;
  }
  const traceparent = headerString(headers, CloudEventHeader.traceparent);
  const tracestate = headerString(headers, CloudEventHeader.tracestate);
  if (traceparent !== undefined) {
    if (isValidTraceparent(traceparent)) {
      attributes.traceparent = traceparent;
      if (tracestate !== undefined) attributes.tracestate = tracestate;
    } else {
      ignored.push({ header: CloudEventHeader.traceparent, reason: `not a W3C traceparent: ${quote(traceparent)}` });
      if (tracestate !== undefined) {
        ignored.push({ header: CloudEventHeader.tracestate, reason: 'traceparent was invalid' });
      }
    }
  } else if (tracestate !== undefined) {
    ignored.push({ header: CloudEventHeader.tracestate, reason: 'no traceparent came with it' });
  }
  return { attributes, ignored };
}

/** readCloudEventHeaders without the report of dropped trace headers. */
export function parseCloudEventHeaders(headers: KafkaHeaders): CloudEventAttributes {
  return readCloudEventHeaders(headers).attributes;
}

/**
 * Headers for a message we produce. Writing is strict where reading is
 * lenient: an invalid attribute here (traceparent included) is our own bug,
 * so it throws rather than ships.
 */
export function toCloudEventHeaders(attrs: CloudEventAttributes): Record<string, string> {
  if (attrs.specversion !== '1.0') throw invalid(CloudEventHeader.specversion, 'must be "1.0"', attrs.specversion);
  checkId(attrs.id);
  checkSource(attrs.source);
  checkText(CloudEventHeader.type, attrs.type);
  const out: Record<string, string> = {
    [CloudEventHeader.specversion]: attrs.specversion,
    [CloudEventHeader.id]: attrs.id,
    [CloudEventHeader.source]: attrs.source,
    [CloudEventHeader.type]: attrs.type,
  };
  if (attrs.time !== undefined) {
    checkTime(attrs.time);
    out[CloudEventHeader.time] = attrs.time;
  }
  if (attrs.subject !== undefined) {
    checkText(CloudEventHeader.subject, attrs.subject);
    out[CloudEventHeader.subject] = attrs.subject;
  }
  if (attrs.contentType !== undefined) {
    checkText(CloudEventHeader.contentType, attrs.contentType);
    out[CloudEventHeader.contentType] = attrs.contentType;
  }
  if (attrs.traceparent !== undefined) {
    if (!isValidTraceparent(attrs.traceparent)) {
      throw invalid(CloudEventHeader.traceparent, 'must be a W3C traceparent', attrs.traceparent);
    }
    out[CloudEventHeader.traceparent] = attrs.traceparent;
    if (attrs.tracestate !== undefined) out[CloudEventHeader.tracestate] = attrs.tracestate;
  } else if (attrs.tracestate !== undefined) {
    throw invalid(CloudEventHeader.tracestate, 'needs a traceparent beside it', attrs.tracestate);
  }
  return out;
}

export interface NewCloudEventInit {
  source: string;
  type: string;
  /** Defaults to a fresh UUID: only the first producer of a request should omit it. */
  id?: string;
  /** Defaults to now. */
  time?: Date | string;
  subject?: string;
  contentType?: string;
  traceparent?: string;
  tracestate?: string;
}

/** Attributes for a new event with specversion, id and time filled in. */
export function newCloudEventAttributes(init: NewCloudEventInit): CloudEventAttributes {
  const { time, id, ...rest } = init;
  const attrs: CloudEventAttributes = {
    specversion: '1.0',
    ...rest,
    id: id ?? newRequestId(),
    time: time === undefined ? new Date().toISOString() : typeof time === 'string' ? time : time.toISOString(),
  };
  for (const key of Object.keys(attrs) as (keyof CloudEventAttributes)[]) {
    if (attrs[key] === undefined) delete attrs[key];
  }
  return attrs;
}
