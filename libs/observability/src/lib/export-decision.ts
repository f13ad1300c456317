/** Whether spans leave the process, decided from the standard OTEL_* variables. */
export interface TraceExportDecision {
  exporting: boolean;
  /** Why not, when not exporting. */
  reason?: string;
  /** Exporters the SDK will build (OTEL_TRACES_EXPORTER, default otlp). */
  exporters: string[];
  /** OTLP protocol (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf). */
  protocol: OtlpProtocol;
  /** OTLP traces endpoint as configured (the SDK appends /v1/traces to the generic one). */
  endpoint?: string;
}

export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json', 'grpc'];
const EXPORTERS = ['otlp', 'console', 'zipkin', 'none'];

export class TelemetryConfigError extends Error {
  override name = 'TelemetryConfigError';
}

function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function checkedUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TelemetryConfigError(`${name}: "${raw}" is not a URL (expected e.g. http://otel-collector:4318)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TelemetryConfigError(`${name}: "${raw}" must be an http:// or https:// URL`);
  }
  return raw;
}

/**
 * Export is off unless someone asked for it: no OTLP endpoint configured
 * means no collector to send to, and the SDK's fallback (localhost:4318)
 * would only produce connection errors in every environment without one.
 * Invalid values fail fast with the variable's name, like the rest of the
 * stage configuration.
 */
export function traceExportDecision(env: NodeJS.ProcessEnv): TraceExportDecision {
  const rawProtocol = value(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? value(env, 'OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf';
  if (!PROTOCOLS.includes(rawProtocol as OtlpProtocol)) {
    throw new TelemetryConfigError(`OTEL_EXPORTER_OTLP_PROTOCOL: "${rawProtocol}" is not one of ${PROTOCOLS.join(', ')}`);
  }
  const protocol = rawProtocol as OtlpProtocol;
  const listed = (value(env, 'OTEL_TRACES_EXPORTER') ?? 'otlp')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const unknown = listed.filter((e) => !EXPORTERS.includes(e));
  if (unknown.length > 0) {
    throw new TelemetryConfigError(`OTEL_TRACES_EXPORTER: unknown exporter "${unknown.join(', ')}" (expected ${EXPORTERS.join(', ')})`);
  }
  const exporters = listed.length > 0 ? [...new Set(listed)] : ['otlp'];
  const endpoint = checkedUrl(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? checkedUrl(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const base = { exporters, protocol, endpoint };

  const disabled = value(env, 'OTEL_SDK_DISABLED')?.toLowerCase();
  if (disabled === 'true') return { ...base, exporting: false, reason: 'OTEL_SDK_DISABLED=true' };
  if (exporters.includes('none')) return { ...base, exporting: false, reason: 'OTEL_TRACES_EXPORTER=none' };
  if (exporters.every((e) => e === 'otlp') && endpoint === undefined) {
    return { ...base, exporting: false, reason: 'no OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set' };
  }
  return { ...base, exporting: true };
}
