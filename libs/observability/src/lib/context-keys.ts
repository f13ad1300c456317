import { createContextKey, type Context } from '@opentelemetry/api';

/**
 * Values the observability layer keeps in the OTel context (an
 * AsyncLocalStorage once `startTelemetry` registered its context manager), so
 * they follow a message's async work without being passed around and are
 * there even when no span is recorded.
 */
const REQUEST_ID = createContextKey('conveyor.request_id');
const BATCH = createContextKey('conveyor.batch');

/** One request of a batch step: its message key (topic/partition/offset) and its context, with its batch span active. */
export interface BatchMember {
  key: string;
  ctx: Context;
}

/** The requests a batch step works for. */
export interface BatchScope {
  id: string;
  members: BatchMember[];
}

export function withRequestId(ctx: Context, requestId: string | undefined): Context {
  return requestId ? ctx.setValue(REQUEST_ID, requestId) : ctx.deleteValue(REQUEST_ID);
}

export function requestIdOf(ctx: Context): string | undefined {
  const value = ctx.getValue(REQUEST_ID);
  return typeof value === 'string' ? value : undefined;
}

/** Marks `ctx` as working for several requests at once; spans opened in it go to every request's trace. */
export function withBatchScope(ctx: Context, scope: BatchScope): Context {
  return ctx.setValue(BATCH, scope);
}

export function batchScopeOf(ctx: Context): BatchScope | undefined {
  return ctx.getValue(BATCH) as BatchScope | undefined;
}
