import type { ResultEnvelope } from '@conveyor/contracts';
import type { StageOutput } from '@conveyor/stage-runtime';
import type { ResultStore } from './result-store';

/** The logical topic of the pipeline's results, bound by the stage host. */
export const RESULTS_TOPIC = 'results';

/**
 * The results-topic event for a stored result (JSON, CloudEvent type = its
 * schema); marks it announced once Kafka acknowledged it.
 */
export function announce(result: ResultEnvelope, store: ResultStore, json: string = JSON.stringify(result)): StageOutput {
  return {
    topic: RESULTS_TOPIC,
    type: result.schema,
    value: Buffer.from(json),
    contentType: 'application/json',
    onAcknowledged: () => store.markAnnounced(result.id),
  };
}

/** Stores a result once and announces it unless an earlier delivery did: what a pipeline's last stage returns. */
export async function publishResult(result: ResultEnvelope, store: ResultStore): Promise<StageOutput | undefined> {
  const stored = await store.storeOnce(result);
  return stored.needsAnnouncing ? announce(stored.result, store) : undefined;
}
