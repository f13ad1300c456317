import { deadLetterTopic, OcrStageInputs, OcrTopics, prefixedTopic } from '@conveyor/contracts';
import type { Admin } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  partitions: number;
}

/** Every topic the OCR pipeline uses: the five hops, and a dead-letter topic for each stage input. */
export function ocrPipelineTopics(prefix: string, partitions: number, dlqPartitions = 1): TopicSpec[] {
  const hops = Object.values(OcrTopics).map((t) => prefixedTopic(prefix, t));
  return [
    ...hops.map((topic) => ({ topic, partitions })),
    ...Object.values(OcrStageInputs).map((t) => ({ topic: deadLetterTopic(prefixedTopic(prefix, t)), partitions: dlqPartitions })),
  ];
}

export interface EnsureTopicsReport {
  created: string[];
  kept: Array<{ topic: string; partitions: number; wanted: number }>;
}

/**
 * Creates the topics that are missing; keeps existing ones as they are (their
 * data and partition count belong to the operator: changing partitions would
 * move keys between partitions).
 */
export async function ensureTopics(admin: Admin, specs: TopicSpec[]): Promise<EnsureTopicsReport> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({ topic: s.topic, numPartitions: s.partitions, replicationFactor: -1 })),
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
