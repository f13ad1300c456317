import { AsyncLocalStorage } from 'node:async_hooks';
import { withVersion, type StageVersion } from '@conveyor/contracts';

/**
 * Where the runtime gets this stage's own version entry (docs/architecture.md,
 * "Versions"): the stage host provides it. Called for each message, so an
 * entry completed after start-up (model hashes, before consuming) is current.
 */
export interface StageVersionSource {
  entry(): StageVersion;
}

/** What a message's outputs and result carry: the upstream versions plus this stage's entry. */
export function versionsAfter(upstream: readonly StageVersion[], source: StageVersionSource | undefined): StageVersion[] {
  return source ? withVersion(upstream, source.entry()) : [...upstream];
}

/** Request id → the versions of the message(s) a handler call is working on. */
const scope = new AsyncLocalStorage<ReadonlyMap<string, readonly StageVersion[]>>();

/**
 * Runs a handler call with the versions of its messages in scope, so that
 * what the handler does inside (storing a result) can find them by request
 * id without the handler passing them along.
 */
export function runWithVersions<T>(versions: ReadonlyMap<string, readonly StageVersion[]>, work: () => T): T {
  return scope.run(versions, work);
}

/** The versions of request `id` if a handler call working on it is running now (see runWithVersions). */
export function currentVersions(id: string): readonly StageVersion[] | undefined {
  return scope.getStore()?.get(id);
}
