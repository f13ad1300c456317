import { Kafka, logLevel } from 'kafkajs';

/**
 * One readiness probe, with the same client the platform uses, so "ready" means ready
 * for it rather than "port open":
 *  1. an admin connects (API versions agreed) and describes the cluster;
 *  2. every existing partition has a leader, and the broker answers ListOffsets for
 *     each topic as its leader.
 * Step 2 matters after a restart on an existing data dir: the broker serves metadata
 * before it has taken back leadership of its partitions, and for that moment requests
 * fail with NOT_LEADER_FOR_PARTITION, which kafkajs's admin does not retry.
 */
export async function probeBroker(brokers: string, timeoutMs: number): Promise<void> {
  const kafka = new Kafka({
    clientId: 'conveyor-kafka-local-probe',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 3000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) throw new Error('the cluster lists no brokers yet');
    const { topics } = await admin.fetchTopicMetadata();
    for (const topic of topics) {
      const leaderless = topic.partitions.filter((p) => p.partitionErrorCode !== 0 || p.leader < 0);
      if (leaderless.length > 0) {
        throw new Error(`${topic.name} has ${leaderless.length} partition(s) without a leader yet`);
      }
      // Internal topics are served by coordinators that kafkajs already waits for.
      if (!topic.name.startsWith('__')) await admin.fetchTopicOffsets(topic.name);
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
