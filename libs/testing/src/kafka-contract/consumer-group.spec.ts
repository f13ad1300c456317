// Pins: classic consumer groups (kafkajs has no KIP-848) spread partitions over the
// members, and rebalance when a member joins and when one leaves.
import type { Admin, Consumer } from 'kafkajs';
import { createTopics, deleteGroups, deleteTopics, testKafka, uniqueName } from '../index';

jest.setTimeout(120_000);

type Assignment = number[];

/** A running group member that records every assignment it gets. */
async function startMember(groupId: string, topic: string, assignments: Assignment[]): Promise<Consumer> {
  const consumer = testKafka('contract-group').consumer({
    groupId,
    // Rebalances are noticed on heartbeats, which kafkajs sends between fetches.
    heartbeatInterval: 300,
    sessionTimeout: 10_000,
    maxWaitTimeInMs: 300,
  });
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    assignments.push([...(event.payload.memberAssignment[topic] ?? [])].sort());
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async () => undefined });
  return consumer;
}

async function waitFor(description: string, condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('consumer group with two members', () => {
  let admin: Admin;
  const topic = uniqueName('group-topic');
  const groupId = uniqueName('group');
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    admin = testKafka('contract-group-admin').admin();
    await admin.connect();
    await createTopics(admin, [{ topic, numPartitions: 4 }]);
  });
  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect()));
    await deleteGroups(admin, [groupId]);
    await deleteTopics(admin, [topic]);
    await admin.disconnect();
  });

  it('rebalances on join and on leave', async () => {
    const first: Assignment[] = [];
    const second: Assignment[] = [];
    consumers.push(await startMember(groupId, topic, first));
    await waitFor('the first member to own all partitions', () => first.at(-1)?.length === 4);
    expect(first.at(-1)).toEqual([0, 1, 2, 3]);

    // Join: the partitions are split, every partition owned by exactly one member.
    const joiner = await startMember(groupId, topic, second);
    consumers.push(joiner);
    await waitFor(
      'both members to share the partitions',
      () => (second.at(-1)?.length ?? 0) > 0 && (first.at(-1)?.length ?? 0) > 0 && first.at(-1)!.length + second.at(-1)!.length === 4,
    );
    const split = [...first.at(-1)!, ...second.at(-1)!].sort();
    expect(split).toEqual([0, 1, 2, 3]);
    expect(first.at(-1)!.length).toBeLessThan(4);
    const described = await admin.describeGroups([groupId]);
    expect(described.groups[0]).toMatchObject({ state: 'Stable', protocolType: 'consumer' });
    expect(described.groups[0].members).toHaveLength(2);

    // Leave: the remaining member takes everything back.
    const joinsBeforeLeave = first.length;
    await joiner.disconnect();
    consumers.splice(consumers.indexOf(joiner), 1);
    await waitFor('the first member to own all partitions again', () => first.length > joinsBeforeLeave && first.at(-1)!.length === 4);
    expect(first.at(-1)).toEqual([0, 1, 2, 3]);
  });
});
