import { pipelineTopics, type PipelineDefinition, type TopicSpec } from '@conveyor/pipeline';
import { ConfigResourceTypes, ConfigSource, type Admin } from 'kafkajs';

export type { TopicSpec } from '@conveyor/pipeline';

/** Every topic of the given pipelines (each hop, a dead-letter topic per stage input), from their definitions. */
export function topicsOf(pipelines: readonly PipelineDefinition[], prefix: string, partitions: number, deadLetterPartitions = 1): TopicSpec[] {
  return pipelines.flatMap((p) => pipelineTopics(p, { prefix, partitions, deadLetterPartitions }));
}

export interface TopicConfigChange {
  name: string;
  /** The value in force before (a topic override or the broker's default). */
  from: string | undefined;
  to: string;
}

export interface EnsureTopicsReport {
  created: string[];
  kept: Array<{ topic: string; partitions: number; wanted: number }>;
  /** Existing topics whose configs differed from the definition, and what was changed. */
  altered: Array<{ topic: string; changes: TopicConfigChange[] }>;
}

/**
 * Creates the topics that are missing, with their topic configs (e.g. a large
 * `max.message.bytes` on an input topic), and brings the configs of existing
 * ones in line with the definition: a topic left by an older run (say in
 * `.conveyor/kafka-data`) would otherwise keep refusing inputs the definition
 * allows. Partition counts of existing topics are kept (their data and
 * partition count belong to the operator: changing partitions would move keys
 * between partitions).
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
  const altered = await alignTopicConfigs(admin, present.filter((s) => Object.keys(s.config).length > 0));
  return { created: missing.map((s) => s.topic), kept, altered };
}

/**
 * Sets the definition's configs on existing topics where they differ. kafkajs
 * 2.2.4 speaks only the legacy AlterConfigs, which replaces a topic's whole set
 * of overrides, so the overrides the topic already has (an operator's
 * `retention.ms`, say) are read first and sent along unchanged.
 */
async function alignTopicConfigs(admin: Admin, specs: readonly TopicSpec[]): Promise<EnsureTopicsReport['altered']> {
  if (specs.length === 0) return [];
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: specs.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.topic })),
  });
  const byTopic = new Map(described.resources.map((r) => [r.resourceName, r]));
  const altered: EnsureTopicsReport['altered'] = [];
  const resources = [];
  for (const spec of specs) {
    const resource = byTopic.get(spec.topic);
    if (!resource) throw new Error(`Kafka described no configs for topic ${spec.topic}`);
    if (resource.errorCode !== 0) throw new Error(`describing the configs of topic ${spec.topic} failed: ${resource.errorMessage} (error ${resource.errorCode})`);
    const current = new Map(resource.configEntries.map((e) => [e.configName, e]));
    const changes = Object.entries(spec.config)
      .filter(([name, value]) => current.get(name)?.configValue !== value)
      .map(([name, value]) => ({ name, from: current.get(name)?.configValue ?? undefined, to: value }));
    if (changes.length === 0) continue;
    const overrides = new Map(
      resource.configEntries.filter((e) => e.configSource === ConfigSource.TOPIC_CONFIG).map((e) => [e.configName, e.configValue]),
    );
    for (const { name, to } of changes) overrides.set(name, to);
    resources.push({
      type: ConfigResourceTypes.TOPIC,
      name: spec.topic,
      configEntries: [...overrides].map(([name, value]) => ({ name, value })),
    });
    altered.push({ topic: spec.topic, changes });
  }
  if (resources.length > 0) {
    await admin.alterConfigs({ validateOnly: false, resources });
    await waitForConfigs(admin, specs.filter((s) => altered.some((a) => a.topic === s.topic)));
  }
  return altered;
}

/**
 * With KRaft the controller accepts a config change before the broker applies
 * it: wait until the broker describes what was set, so a producer started
 * right after is not refused by the old limit.
 */
async function waitForConfigs(admin: Admin, specs: readonly TopicSpec[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: specs.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.topic })),
    });
    const pending = specs.filter((spec) => {
      const entries = described.resources.find((r) => r.resourceName === spec.topic)?.configEntries ?? [];
      return Object.entries(spec.config).some(([name, value]) => entries.find((e) => e.configName === name)?.configValue !== value);
    });
    if (pending.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`the broker did not apply the altered configs of ${pending.map((s) => s.topic).join(', ')} within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
