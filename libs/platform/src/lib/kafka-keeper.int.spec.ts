import { existsSync } from 'node:fs';
import net from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { keepKafka, type KafkaKeeperEvent, type KeptKafka } from './kafka-keeper';

/*
 * The launcher's own broker, killed for real (SIGKILL to the JVM): it comes
 * back on the same port with its data; when it cannot (here: someone took its
 * port), the keeper gives up with the reason.
 */
jest.setTimeout(400_000);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('keepKafka with a real broker', () => {
  let kept: KeptKafka;
  const lines: string[] = [];
  const events: KafkaKeeperEvent[] = [];
  const next = <T extends KafkaKeeperEvent['type']>(type: T): Promise<Extract<KafkaKeeperEvent, { type: T }>> =>
    new Promise((resolve) => kept.on((e) => e.type === type && resolve(e as Extract<KafkaKeeperEvent, { type: T }>)));
  let blocker: net.Server | undefined;

  beforeAll(async () => {
    kept = await keepKafka({ port: 0, stopGraceMs: 5_000, restart: { initialDelayMs: 500 }, maxFailedStarts: 2, log: (l) => lines.push(l) });
    kept.on((e) => events.push(e));
  });
  afterAll(async () => {
    await kept?.stop();
    await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
  });

  it('restarts a broker whose JVM was killed with SIGKILL, on the same port, keeping topics and messages', async () => {
    const kafka = new Kafka({ clientId: 'keeper-spec', brokers: [kept.brokers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kept', numPartitions: 1 }], waitForLeaders: true });
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic: 'kept', acks: -1, messages: [{ key: 'k', value: 'before the kill' }] });
    await producer.disconnect();
    await admin.disconnect();

    const firstPid = kept.pid!;
    const restarted = next('restarted');
    process.kill(firstPid, 'SIGKILL');
    const event = await restarted;
    expect(isAlive(firstPid)).toBe(false);
    expect(event.pid).not.toBe(firstPid);
    expect(kept.pid).toBe(event.pid);
    expect(kept.restarts).toBe(1);
    expect(events.map((e) => e.type)).toEqual(['died', 'restart-scheduled', 'restarted']);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^the broker \\(pid ${firstPid}\\) DIED \\(code null, signal SIGKILL\\); its last log lines:\\n`)));
    expect(lines).toContain(`restarting the broker on ${kept.brokers} with the same data in 0.5 s`);
    expect(lines).toContain(`broker restarted on ${kept.brokers} (pid ${event.pid}, restart 1); topics and committed offsets are kept`);

    const admin2 = new Kafka({ clientId: 'keeper-spec-2', brokers: [kept.brokers], logLevel: logLevel.NOTHING }).admin();
    await admin2.connect();
    try {
      expect(await admin2.listTopics()).toContain('kept');
      expect(await admin2.fetchTopicOffsets('kept')).toEqual([expect.objectContaining({ partition: 0, high: '1' })]);
    } finally {
      await admin2.disconnect();
    }
  });

  it('gives up with the reason when the broker cannot be started again (its port taken)', async () => {
    const pid = kept.pid!;
    const died = next('died');
    const gaveUp = next('gave-up');
    process.kill(pid, 'SIGKILL');
    await died;
    // Take the port before the first restart attempt (0.5 s later).
    blocker = net.createServer((socket) => socket.destroy()); // clients knocking on the port must not keep close() waiting
    await new Promise<void>((resolve) => blocker!.listen(kept.port, '127.0.0.1', resolve));
    const error = await kept.gaveUp;
    expect((await gaveUp).error).toBe(error);
    expect(error.message).toMatch(
      new RegExp(`^the Kafka broker died and could not be started again \\(2 attempts\\); last error: Port ${kept.port} on 127\\.0\\.0\\.1 is already in use`),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^restarting the broker failed \(attempt 1 of 2\): Port \d+ on 127\.0\.0\.1 is already in use/));
    expect(lines).toContainEqual(`giving up: ${error.message}`);
    expect(kept.pid).toBeUndefined();
    const dataDir = kept.dataDir;
    await kept.stop();
    expect(existsSync(dataDir)).toBe(false); // the temporary data dir goes with it
  });
});
