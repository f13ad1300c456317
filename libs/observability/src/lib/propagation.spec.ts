import { createTraceState, propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { extractTraceContext, injectTraceHeaders } from './propagation';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;

beforeAll(() => propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
afterAll(() => propagation.disable());

describe('extractTraceContext', () => {
  it.each([
    ['a Buffer value (as kafkajs delivers it)', { traceparent: Buffer.from(TRACEPARENT) }],
    ['a string value', { traceparent: TRACEPARENT }],
    ['a repeated header (first value counts)', { traceparent: [Buffer.from(TRACEPARENT), Buffer.from(`00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`)] }],
    ['other headers beside it', { ce_id: Buffer.from('r-1'), 'content-type': 'image/png', traceparent: Buffer.from(TRACEPARENT) }],
  ])('reads the remote parent from %s', (_case, headers) => {
    const parent = trace.getSpanContext(extractTraceContext(headers));
    expect(parent).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED, isRemote: true });
  });

  it('keeps tracestate', () => {
    const parent = trace.getSpanContext(extractTraceContext({ traceparent: TRACEPARENT, tracestate: Buffer.from('vendor=abc,other=1') }));
    expect(parent?.traceState?.serialize()).toBe('vendor=abc,other=1');
  });

  it('reads the not-sampled flag', () => {
    const parent = trace.getSpanContext(extractTraceContext({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-00` }));
    expect(parent?.traceFlags).toBe(TraceFlags.NONE);
  });

  it.each([
    ['no headers', undefined],
    ['no traceparent', { ce_id: 'r-1' }],
    ['an all-zero trace id', { traceparent: `00-${'0'.repeat(32)}-${SPAN_ID}-01` }],
    ['a malformed value', { traceparent: 'not-a-traceparent' }],
    ['an empty array', { traceparent: [] }],
  ])('gives the root context for %s', (_case, headers) => {
    expect(trace.getSpanContext(extractTraceContext(headers))).toBeUndefined();
  });
});

describe('injectTraceHeaders', () => {
  it('writes traceparent (and tracestate) of the span in the context', () => {
    const ctx = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: TraceFlags.SAMPLED,
      traceState: createTraceState('vendor=abc'),
    });
    expect(injectTraceHeaders(ctx)).toEqual({ traceparent: TRACEPARENT, tracestate: 'vendor=abc' });
  });

  it('writes nothing without a span', () => {
    expect(injectTraceHeaders(ROOT_CONTEXT)).toEqual({});
  });

  it('round-trips through Kafka-style Buffer headers', () => {
    const headers = Object.fromEntries(
      Object.entries(injectTraceHeaders(extractTraceContext({ traceparent: TRACEPARENT }))).map(([k, v]) => [k, Buffer.from(v)]),
    );
    expect(headers['traceparent'].toString()).toBe(TRACEPARENT);
  });
});
