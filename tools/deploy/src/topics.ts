import { PLATFORM, topicRecords, type DeployContext, type TopicRecord } from './model';
import { generatedHeader, lineFile, listing } from './text';
import { commented, trailing, yamlFile } from './yaml';

/** What a topic is for, in a few words. */
function purpose(t: TopicRecord): string {
  if (t.deadLetter) return `what ${listing(t.readers) || 'no stage'} could not process`;
  const what = t.description ?? t.key;
  const readers =
    t.readers.length > 0
      ? `; ${listing(t.readers)} ${t.readers.length > 1 ? 'read' : 'reads'} it`
      : '; producers read it';
  return `${what}${readers}`;
}

/**
 * docker/kafka/topics.txt: the topics docker/kafka/create-topics.sh creates,
 * one a line, `NAME KIND PARTITIONS [CONFIG=VALUE ...]`.
 */
export function renderTopicList(ctx: DeployContext): string {
  const header = generatedHeader(
    'tools/deploy/src/topics.ts',
    [
      'The topics docker/kafka/create-topics.sh creates (compose service `topics`), one a line:',
      '  NAME KIND PARTITIONS [CONFIG=VALUE ...]',
      'KIND is `pipeline` or `dead-letter`; PARTITIONS `-` means the default of the kind',
      "(TOPIC_PARTITIONS, DLQ_PARTITIONS); the configs are the definition's topic configs (a",
      "dead-letter topic has its input's, so a dead letter of a large input fits).",
    ].join('\n'),
  );
  const lines = topicRecords(ctx).map((t) =>
    [
      t.topic,
      t.deadLetter ? 'dead-letter' : 'pipeline',
      t.partitions ?? '-',
      ...Object.entries(t.config).map(([k, v]) => `${k}=${v}`),
    ].join(' '),
  );
  for (const t of topicRecords(ctx)) {
    for (const value of Object.values(t.config)) {
      if (/\s/.test(value))
        throw new Error(`topic ${t.topic}: config values with spaces do not fit topics.txt ("${value}")`);
    }
  }
  return lineFile(header, lines);
}

/** The Kubernetes object name of a topic: `ocr.requests.dlq` → `ocr-requests-dlq`. */
export const kafkaTopicName = (topic: string) => topic.replace(/\./g, '-');

/** k8s/base/kafka-topics/topics.yaml: Strimzi KafkaTopics, one per topic of every pipeline. */
export function renderKafkaTopics(ctx: DeployContext): string {
  const k = PLATFORM.k8s;
  const header = generatedHeader(
    'tools/deploy/src/topics.ts',
    [
      "Conveyor's topics as Strimzi KafkaTopic resources. The cluster runs with auto topic",
      'creation off, so these are the only way topics come to exist.',
      `Pipeline topics: partitions bound the replicas a stage can use (one consumer per partition);`,
      `${k.partitions} unless the definition says otherwise (label conveyor/partitions: default or defined).`,
      `Dead-letter topics: ${k.deadLetterPartitions} partition, long retention. Topic configs from the definition`,
      '(e.g. max.message.bytes for large requests) apply to the topic and its dead-letter twin.',
      'The Topic Operator watches this namespace (Kafka cluster `conveyor` lives here).',
    ].join('\n'),
  );
  const docs = topicRecords(ctx).map((t) => {
    const partitions = t.partitions ?? (t.deadLetter ? k.deadLetterPartitions : k.partitions);
    const config: Record<string, unknown> = {
      'min.insync.replicas': k.minInsyncReplicas,
      'retention.ms': t.deadLetter
        ? trailing(k.deadLetterRetentionMs, '14 days to inspect and replay')
        : trailing(k.retentionMs, '1 day: work in transit, not an archive'),
      ...Object.fromEntries(Object.entries(t.config).filter(([name]) => !(t.deadLetter && name === 'retention.ms'))),
    };
    return commented(`${t.topic}: ${purpose(t)}`, {
      apiVersion: 'kafka.strimzi.io/v1beta2',
      kind: 'KafkaTopic',
      metadata: {
        name: kafkaTopicName(t.topic),
        labels: {
          'strimzi.io/cluster': PLATFORM.kafkaCluster,
          'app.kubernetes.io/part-of': 'conveyor',
          'app.kubernetes.io/component': t.deadLetter ? 'dead-letter-topic' : 'pipeline-topic',
          'conveyor/pipeline': t.pipeline.name,
          ...(t.deadLetter ? {} : { 'conveyor/partitions': t.partitions === undefined ? 'default' : 'defined' }),
        },
      },
      spec: { topicName: t.topic, partitions, replicas: k.topicReplicas, config },
    });
  });
  return yamlFile(header, docs);
}
