import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { traceLogMixin } from './log-mixin';
import { extractTraceContext, injectTraceHeaders } from './propagation';
import { StageTelemetry } from './stage-telemetry';
import { startTelemetry } from './telemetry';

// One file per startTelemetry scenario: it configures the process (here: the Jest file's sandbox) once.
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('startTelemetry without an OTLP endpoint', () => {
  const infos: Array<Record<string, unknown>> = [];
  const handle = startTelemetry({
    serviceName: 'preprocess',
    env: {},
    logger: { info: (fields) => void infos.push(fields), warn: () => undefined },
  });

  it('exports nothing: spans are not recorded', () => {
    expect(handle.exporting).toBe(false);
    expect(handle.decision.reason).toMatch(/no OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(infos).toEqual([{ serviceName: 'preprocess', tracesExported: false, reason: handle.decision.reason }]);
    const span = trace.getTracer('t').startSpan('x');
    expect(span.isRecording()).toBe(false);
    span.end();
  });

  it('is idempotent: a second call returns the first handle', () => {
    expect(startTelemetry({ serviceName: 'other', env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' } })).toBe(handle);
  });

  it('still propagates: the upstream trace passes through to the outputs and into logs', async () => {
    const telemetry = new StageTelemetry('preprocess');
    let outgoing: Record<string, string> = {};
    let logFields = {};
    await telemetry.aroundMessage({ ce_id: 'r-1', traceparent: Buffer.from(TRACEPARENT) }, { topic: 'ocr.requests', partition: 0, offset: '3' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1)); // across an async hop: the context manager is in place
      logFields = traceLogMixin();
      await telemetry.aroundStep('produce', {}, async () => {
        outgoing = telemetry.outgoingTraceHeaders();
      });
    });
    // No span of our own: the producer's span context is handed on unchanged.
    expect(outgoing).toEqual({ traceparent: TRACEPARENT });
    expect(logFields).toEqual({ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7', request_id: 'r-1' });
    expect(injectTraceHeaders(context.active())).toEqual({});
    expect(trace.getSpanContext(extractTraceContext({ traceparent: TRACEPARENT }))?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(context.active()).toBe(ROOT_CONTEXT);
  });

  it('shuts down at once', async () => {
    const started = performance.now();
    await handle.shutdown();
    expect(performance.now() - started).toBeLessThan(100);
  });
});
