import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import { startKafka } from './broker';
import { BrokerStartError, JavaNotFoundError, PortInUseError } from './errors';
import { findFreePort } from './ports';
import { findWorkspaceRoot } from './workspace';

// Broker starts take seconds on a loaded 2-core machine: generous limits, never assertions on time.
jest.setTimeout(180_000);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return condition();
}

function client(brokers: string): Kafka {
  return new Kafka({ clientId: 'kafka-local-spec', brokers: [brokers], logLevel: logLevel.NOTHING });
}

describe('startKafka failures (no broker runs)', () => {
  let emptyDir: string;
  beforeAll(() => (emptyDir = mkdtempSync(path.join(os.tmpdir(), 'kafka-local-nojava-'))));
  afterAll(() => rmSync(emptyDir, { recursive: true, force: true }));

  it('names a missing Java (JAVA_HOME pointing to an empty folder)', async () => {
    const attempt = startKafka({ env: { ...process.env, JAVA_HOME: emptyDir } });
    await expect(attempt).rejects.toThrow(JavaNotFoundError);
    await expect(attempt).rejects.toMatchObject({ code: 'JAVA_NOT_FOUND' });
  });

  it('names a missing Java (PATH without java, no JAVA_HOME)', async () => {
    await expect(startKafka({ env: { PATH: emptyDir } })).rejects.toMatchObject({ code: 'JAVA_NOT_FOUND' });
  });

  it('refuses a taken port before starting anything', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const attempt = startKafka({ port });
      await expect(attempt).rejects.toThrow(PortInUseError);
      await expect(attempt).rejects.toThrow(new RegExp(`Port ${port} on 127.0.0.1 is already in use`));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('startKafka with a real broker', () => {
  it('reports a broker that fails to start with the tail of its log, and leaves nothing behind', async () => {
    const tempRoot = mkdtempSync(path.join(os.tmpdir(), 'kafka-local-fail-'));
    const attempt = startKafka({ tempRoot, serverProperties: { 'authorizer.class.name': 'com.example.NoSuchAuthorizer' } });
    await expect(attempt).rejects.toThrow(BrokerStartError);
    const error = (await attempt.catch((e: unknown) => e)) as BrokerStartError;
    expect(error.code).toBe('BROKER_START_FAILED');
    expect(error.message).toMatch(/exited while starting/);
    expect(error.logTail).toMatch(/ClassNotFoundException: com.example.NoSuchAuthorizer/);
    expect(readdirSync(tempRoot)).toEqual([]);
    rmSync(tempRoot, { recursive: true });
  });

  it('starts, stops, and restarts on the same data dir and port keeping topics, messages and committed offsets', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kafka-local-restart-'));
    const port = await findFreePort();
    const topic = 'restart-check';
    const groupId = 'restart-group';
    try {
      const first = await startKafka({ dataDir, port });
      expect(first).toMatchObject({ brokers: `127.0.0.1:${port}`, port, dataDir });
      expect(first.version).toMatch(/^4\./);
      expect(first.logTail()).toMatch(/Kafka Server started/);
      const kafka = client(first.brokers);
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [0, 1, 2, 3].map((i) => ({ key: 'k', value: `m${i}` })) });
      await producer.disconnect();
      const partition = (await admin.fetchTopicOffsets(topic)).find((p) => p.high === '4')!.partition;
      await admin.setOffsets({ groupId, topic, partitions: [{ partition, offset: '3' }] });
      await admin.disconnect();

      await first.stop();
      expect(isAlive(first.pid)).toBe(false);
      await first.stop(); // idempotent
      expect(existsSync(dataDir)).toBe(true); // a caller's data dir is kept

      const second = await startKafka({ dataDir, port });
      try {
        expect(second.pid).not.toBe(first.pid);
        const admin2 = client(second.brokers).admin();
        await admin2.connect();
        expect(await admin2.listTopics()).toContain(topic);
        const offsets = await admin2.fetchTopicOffsets(topic);
        expect(offsets.find((p) => p.partition === partition)).toMatchObject({ high: '4', low: '0' });
        // Right after a restart the group coordinator may still be loading __consumer_offsets
        // (COORDINATOR_LOAD_IN_PROGRESS, retriable): ask again until it answers.
        const committed = await retryWhileCoordinatorLoads(async () => (await admin2.fetchOffsets({ groupId, topics: [topic] }))[0]);
        expect(committed.partitions.find((p) => p.partition === partition)?.offset).toBe('3');
        await admin2.disconnect();
      } finally {
        await second.stop();
      }
      expect(isAlive(second.pid)).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('leaves no JVM behind when the Node process that started it is killed with SIGKILL', async () => {
    const root = findWorkspaceRoot();
    const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, 'broker-child.test-support.ts')], {
      cwd: root,
      env: { ...process.env, SWC_NODE_PROJECT: path.join(root, 'tsconfig.base.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`child exited with ${code} before the broker was ready: ${stderr}`)));
    });
    const started = JSON.parse(first) as { pid: number; dataDir: string; brokers: string };
    expect(isAlive(started.pid)).toBe(true);

    child.kill('SIGKILL');
    // The guardian polls twice a second; the JVM then shuts down (or is killed after 5 s).
    expect(await waitUntil(() => !isAlive(started.pid), 30_000)).toBe(true);
    // The temporary data dir goes with it.
    expect(await waitUntil(() => !existsSync(started.dataDir), 10_000)).toBe(true);
  });
});

async function retryWhileCoordinatorLoads<T>(call: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      const type = (error as { type?: string }).type;
      if (type !== 'COORDINATOR_LOAD_IN_PROGRESS' && type !== 'COORDINATOR_NOT_AVAILABLE') throw error;
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
