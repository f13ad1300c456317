import { context, trace } from '@opentelemetry/api';
import { batchScopeOf, requestIdOf } from './context-keys';

export interface TraceLogFields {
  trace_id?: string;
  span_id?: string;
  request_id?: string;
  batch_id?: string;
}

/**
 * pino `mixin` for `createStageLogger(stage, level, { mixin: traceLogMixin })`:
 * the trace and span id of the active span and the request id of the message
 * being worked on, so a log line can be found from its trace and vice versa.
 * Outside a message it adds nothing; inside a batch step (several requests at
 * once) it names the batch instead of one arbitrary request.
 */
export function traceLogMixin(): TraceLogFields {
  const active = context.active();
  const fields: TraceLogFields = {};
  const spanContext = trace.getSpanContext(active);
  if (spanContext && trace.isSpanContextValid(spanContext)) {
    fields.trace_id = spanContext.traceId;
    fields.span_id = spanContext.spanId;
  }
  const requestId = requestIdOf(active);
  if (requestId) fields.request_id = requestId;
  const batch = batchScopeOf(active);
  if (batch) fields.batch_id = batch.id;
  return fields;
}
