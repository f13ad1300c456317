import { pipelineTopics, type PipelineDefinition, type TopicSpec } from '@conveyor/pipeline';
import type { Admin } from 'kafkajs';

export type { TopicSpec } from '@conveyor/pipeline';

/** Every topic of the given pipelines (each hop, a dead-letter topic per stage input), from their definitions. */
export function topicsOf(pipelines: readonly PipelineDefinition[], prefix: string, partitions: number, deadLetterPartitions = 1): TopicSpec[] {
  return pipelines.flatMap((p) => pipelineTopics(p, { prefix, partitions, deadLetterPartitions }));
}

export interface EnsureTopicsReport {
  created: string[];
  kept: Array<{ topic: string; partitions: number; wanted: number }>;
}

/**
 * Creates the topics that are missing, with their topic configs (e.g. a large
 * `max.message.bytes` on an input topic); keeps existing ones as they are
 * (their data and partition count belong to the operator: changing partitions
 * would move keys between partitions).
 */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<EnsureTopicsReport> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.partitions,
        replicationFactor: -1,
        configEntries: Object.entries(s.config).map(([name, value]) => ({ name, value })),
      })),
    });
  }
  const present = specs.filter((s) => existing.has(s.topic));
  const kept: EnsureTopicsReport['kept'] = [];
  if (present.length > 0) {
    const metadata = await admin.fetchTopicMetadata({ topics: present.map((s) => s.topic) });
    const wanted = new Map(present.map((s) => [s.topic, s.partitions]));
    for (const t of metadata.topics) {
      kept.push({ topic: t.name, partitions: t.partitions.length, wanted: wanted.get(t.name) ?? t.partitions.length });
    }
  }
  return { created: missing.map((s) => s.topic), kept };
}
