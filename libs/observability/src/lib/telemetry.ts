import { context, diag, DiagLogLevel, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { diagLogLevelFromString, W3CTraceContextPropagator } from '@opentelemetry/core';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { RateLimitedDiagLogger, stderrTelemetryLogger, type TelemetryLogger } from './diag-logger';
import { traceExportDecision, type TraceExportDecision } from './export-decision';

export interface TelemetryOptions {
  /** `service.name` of the resource, e.g. the stage name; OTEL_SERVICE_NAME overrides it. */
  serviceName: string;
  /**
   * Where OTEL_SERVICE_NAME and the export switches (endpoint, OTEL_SDK_DISABLED,
   * OTEL_TRACES_EXPORTER, protocol) are read; default process.env. Once export
   * is on, the SDK reads the exporter's details (headers, timeout,
   * compression, OTEL_BSP_*, sampler) from process.env itself, as the OTel
   * spec says it should.
   */
  env?: NodeJS.ProcessEnv;
  /** Receives the SDK's own diagnostics (rate-limited warnings) and one start-up line. */
  logger?: TelemetryLogger;
  /** Replaces the exporter chosen from the environment and turns export on (tests: an InMemorySpanExporter). */
  spanProcessors?: SpanProcessor[];
  /** Longest `shutdown()` waits for the last spans to be exported; default 2000 ms. */
  shutdownTimeoutMs?: number;
}

export interface TelemetryHandle {
  readonly serviceName: string;
  /** Whether spans are recorded and exported; when not, context still propagates (spans are no-ops). */
  readonly exporting: boolean;
  readonly decision: TraceExportDecision;
  /** Exports what it can within the bound, then stops the SDK. Never rejects, never takes longer than the bound. */
  shutdown(): Promise<void>;
}

const HANDLE = Symbol.for('conveyor.observability.telemetry');
type GlobalWithTelemetry = typeof globalThis & { [HANDLE]?: TelemetryHandle };

/**
 * Sets up OpenTelemetry tracing for this process, once: later calls return
 * the first call's handle. Call it in `main.ts` before the stage starts.
 *
 * Always: an AsyncLocalStorage context manager and the W3C trace-context
 * propagator, so the runtime can continue each request's trace from its Kafka
 * headers and logs can carry trace ids whether or not spans are exported.
 * With an OTLP endpoint configured (and OTEL_SDK_DISABLED / OTEL_TRACES_EXPORTER
 * not saying otherwise): a NodeSDK with the exporter built from the standard
 * variables — OTLP over http/protobuf (default) or http/json, or grpc — behind
 * a BatchSpanProcessor (OTEL_BSP_*). No auto-instrumentation at all: the
 * kafkajs instrumentation would break one-trace-per-request under eachBatch
 * (docs/architecture.md, "Observability"), and the stage runtime opens the spans that matter itself.
 *
 * A collector that is down costs nothing but a warning a minute: export
 * errors are retried and dropped by the SDK, never thrown into the stage.
 */
export function startTelemetry(options: TelemetryOptions): TelemetryHandle {
  const global = globalThis as GlobalWithTelemetry;
  const existing = global[HANDLE];
  if (existing) return existing;
  const handle = createTelemetry(options);
  global[HANDLE] = handle;
  return handle;
}

/** The handle of this process's `startTelemetry`, if it was called. */
export function currentTelemetry(): TelemetryHandle | undefined {
  return (globalThis as GlobalWithTelemetry)[HANDLE];
}

function createTelemetry(options: TelemetryOptions): TelemetryHandle {
  const env = options.env ?? process.env;
  const logger = options.logger ?? stderrTelemetryLogger;
  const serviceName = env['OTEL_SERVICE_NAME']?.trim() || options.serviceName;
  const fromEnv = traceExportDecision(env);
  const decision: TraceExportDecision = options.spanProcessors ? { ...fromEnv, exporting: true, reason: undefined } : fromEnv;
  const contextManager = new AsyncLocalStorageContextManager();
  const propagator = new W3CTraceContextPropagator();

  if (!decision.exporting) {
    context.setGlobalContextManager(contextManager.enable());
    propagation.setGlobalPropagator(propagator);
    installDiagLogger(logger, env);
    logger.info({ serviceName, tracesExported: false, reason: decision.reason }, 'telemetry: traces not exported');
    return { serviceName, exporting: false, decision, shutdown: () => Promise.resolve() };
  }

  const sdk = new NodeSDK({
    serviceName,
    resource: defaultResource().merge(resourceFromAttributes({ 'service.namespace': 'conveyor' })),
    contextManager,
    textMapPropagator: propagator,
    instrumentations: [],
    // Metrics are scraped from /metrics (prom-client), and logs go to stdout: traces only here.
    metricReaders: [],
    logRecordProcessors: [],
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
  });
  // After the constructor: it installs a console logger of its own when OTEL_LOG_LEVEL is set.
  installDiagLogger(logger, env);
  sdk.start();
  logger.info(
    { serviceName, tracesExported: true, exporters: decision.exporters, protocol: decision.protocol, endpoint: decision.endpoint },
    'telemetry: exporting traces',
  );

  const timeoutMs = options.shutdownTimeoutMs ?? 2_000;
  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= boundedShutdown(sdk, timeoutMs, logger);
    return stopping;
  };
  return { serviceName, exporting: true, decision, shutdown };
}

function installDiagLogger(logger: TelemetryLogger, env: NodeJS.ProcessEnv): void {
  const requested = env['OTEL_LOG_LEVEL'] ? diagLogLevelFromString(env['OTEL_LOG_LEVEL']) : undefined;
  diag.setLogger(new RateLimitedDiagLogger(logger), { logLevel: requested ?? DiagLogLevel.WARN, suppressOverrideMessage: true });
}

/** The final flush can hang on an unreachable collector (retries up to OTEL_EXPORTER_OTLP_TIMEOUT): stop waiting at the bound. */
async function boundedShutdown(sdk: NodeSDK, timeoutMs: number, logger: TelemetryLogger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
  });
  const done = sdk.shutdown().then(
    () => 'done' as const,
    (error: unknown) => {
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'telemetry: shutdown failed, unsent spans dropped');
      return 'done' as const;
    },
  );
  const outcome = await Promise.race([done, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') logger.warn({ timeoutMs }, 'telemetry: shutdown timed out, unsent spans dropped');
}
