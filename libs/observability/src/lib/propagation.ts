import { headerString, type KafkaHeaders } from '@conveyor/contracts';
import { context, propagation, ROOT_CONTEXT, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';

/**
 * Reads W3C trace context from kafkajs headers: values arrive as Buffers (or
 * strings when a test builds them), and a header repeated on the wire arrives
 * as an array, of which the first value counts (`headerString`).
 */
export const kafkaHeadersGetter: TextMapGetter<KafkaHeaders> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => headerString(headers, key),
};

/** Writes trace headers as strings, the form the stage runtime's outbound headers take. */
export const kafkaHeadersSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/**
 * The upstream context carried in a message's `traceparent`/`tracestate`, on
 * top of ROOT_CONTEXT: a consume span started in it continues the producer's
 * trace. Headers without (valid) trace context give ROOT_CONTEXT, so the span
 * starts a new trace. Uses the globally registered propagator (W3C trace
 * context once `startTelemetry` ran; nothing before that).
 */
export function extractTraceContext(headers: KafkaHeaders | undefined): Context {
  if (!headers) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, headers, kafkaHeadersGetter);
}

/** `traceparent` (and `tracestate` when set) for the span active in `ctx`; `{}` when there is none. */
export function injectTraceHeaders(ctx: Context = context.active()): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(ctx, headers, kafkaHeadersSetter);
  return headers;
}
