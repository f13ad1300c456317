import { randomBytes } from 'node:crypto';
import type { MessageOrigin, StageMessage } from '@conveyor/stage-runtime';
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import { batchScopeOf, requestIdOf, withBatchScope, withRequestId, type BatchMember } from './context-keys';
import { extractTraceContext } from './propagation';

export const TRACER_NAME = '@conveyor/observability';

/** Resolved on every call: a provider registered after import (startTelemetry) is picked up. */
export function conveyorTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

export function messageKey(origin: MessageOrigin): string {
  return `${origin.topic}/${origin.partition}/${origin.offset}`;
}

/**
 * Consume contexts of the messages in flight in this process, by origin. A
 * batch handler runs in whichever message's context happened to start the
 * batch, so per-request spans must find each message's own consume span here.
 */
const inFlight = new Map<string, Context>();

/** Registers a message's consume context until the returned function is called (the message settled). */
export function registerMessageContext(origin: MessageOrigin, ctx: Context): () => void {
  const key = messageKey(origin);
  inFlight.set(key, ctx);
  return () => {
    // Another consumer in this process (a second group on the same topic) may have taken the key since.
    if (inFlight.get(key) === ctx) inFlight.delete(key);
  };
}

type MessageRef = Pick<StageMessage, 'origin' | 'headers' | 'id'>;

/**
 * The context to open a span for `message` in: inside `withSpansPerMessage`,
 * that message's batch span; else its consume span while it is in flight;
 * else (a message not consumed through StageTelemetry) the upstream context
 * from its headers, so the span still lands in the request's trace.
 */
export function contextOfMessage(message: MessageRef): Context {
  const key = messageKey(message.origin);
  const member = batchScopeOf(context.active())?.members.find((m) => m.key === key);
  if (member) return member.ctx;
  return inFlight.get(key) ?? withRequestId(extractTraceContext(message.headers), message.id);
}

export function recordFailure(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

export type SpanWork<T> = () => Promise<T> | T;

/**
 * Runs `fn` in a child span of the active context. Inside a batch step
 * (`withSpansPerMessage`) the span is opened once per request of the batch,
 * so e.g. a model run serving several requests shows in each one's trace.
 */
export async function withSpan<T>(name: string, attributes: Attributes, fn: SpanWork<T>, kind: SpanKind = SpanKind.INTERNAL): Promise<T> {
  const active = context.active();
  const batch = batchScopeOf(active);
  if (batch) return spansPerRequest(batch.members, batch.id, name, attributes, kind, fn);
  const span = conveyorTracer().startSpan(name, { kind, attributes }, active);
  try {
    return await context.with(trace.setSpan(active, span), fn);
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

export function newBatchId(): string {
  return randomBytes(8).toString('hex');
}

/**
 * Runs `fn` once for a batch of messages (a batch handler, a model run over
 * lines of several requests), recorded as ONE span per request, each a child
 * of that request's own span, all with the batch's start and end time and
 * `conveyor.batch.id` / `conveyor.batch.size`.
 *
 * Why not one batch span linked to the requests: a trace is what someone
 * opens in Jaeger to see where one request's time went. With a single batch
 * span, the batch would live in one request's trace (or its own) and every
 * other request's trace would have a hole exactly where its model ran, filled
 * only by following span links that the UI shows as bare ids. One span per
 * request keeps each trace complete and readable on its own; the shared batch
 * id (a tag search in Jaeger) ties the batch back together when that is the
 * question.
 *
 * Inside `fn`, `withSpan` (and `StageTelemetry.modelRun`) fan out the same
 * way, and logs carry `batch_id` instead of one arbitrary request's ids.
 */
export async function withSpansPerMessage<T>(messages: readonly MessageRef[], name: string, attributes: Attributes, fn: SpanWork<T>): Promise<T> {
  const seen = new Set<string>();
  const members: BatchMember[] = [];
  for (const message of messages) {
    const key = messageKey(message.origin);
    if (seen.has(key)) continue; // several lines of one request in one run: still one span for it
    seen.add(key);
    members.push({ key, ctx: contextOfMessage(message) });
  }
  if (members.length === 0) return fn();
  return spansPerRequest(members, newBatchId(), name, attributes, SpanKind.INTERNAL, fn);
}

async function spansPerRequest<T>(
  parents: readonly BatchMember[],
  batchId: string,
  name: string,
  attributes: Attributes,
  kind: SpanKind,
  fn: SpanWork<T>,
): Promise<T> {
  const tracer = conveyorTracer();
  // One HrTime for all: a number would be re-based per span (each span's own clock offset), and the times would differ.
  const startTime = hrTime();
  const members = parents.map(({ key, ctx }) => {
    const requestId = requestIdOf(ctx);
    const span = tracer.startSpan(
      name,
      {
        kind,
        startTime,
        attributes: {
          ...attributes,
          'conveyor.batch.id': batchId,
          'conveyor.batch.size': parents.length,
          ...(requestId ? { 'conveyor.request_id': requestId } : {}),
        },
      },
      ctx,
    );
    return { key, span, ctx: trace.setSpan(ctx, span) };
  });
  // The batch belongs to no single request: no active span or request id, only the batch.
  const scoped = withBatchScope(withRequestId(trace.deleteSpan(context.active()), undefined), {
    id: batchId,
    members: members.map(({ key, ctx }) => ({ key, ctx })),
  });
  try {
    return await context.with(scoped, fn);
  } catch (error) {
    for (const { span } of members) recordFailure(span, error);
    throw error;
  } finally {
    const endTime = hrTime();
    for (const { span } of members) span.end(endTime);
  }
}
