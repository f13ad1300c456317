import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './generate';

/** Runs a command; resolves with its exit code and output (never rejects on a non-zero exit). */
function run(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('docker/healthcheck.js (the compose stage healthcheck)', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url === '/health/ready' ? 200 : 503;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const healthcheck = (url: string) => run(process.execPath, [join(REPO_ROOT, 'docker', 'healthcheck.js'), url]);

  it('exits 0 when the endpoint answers 2xx', async () => {
    expect((await healthcheck(`${base}/health/ready`)).code).toBe(0);
  });

  it('exits 1 on 503 (not ready, draining) and when nothing listens', async () => {
    expect((await healthcheck(`${base}/health/draining`)).code).toBe(1);
    server.close();
    expect((await healthcheck(`${base}/health/ready`)).code).toBe(1);
  });
});

describe('docker/kafka/create-topics.sh', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'conveyor-topics-'));
    // Stands in for kafka-topics.sh: records each call's arguments, one call a line.
    const fake = join(dir, 'kafka-topics.sh');
    writeFileSync(fake, `#!/usr/bin/env bash\necho "$*" >> "${join(dir, 'calls')}"\n`);
    chmodSync(fake, 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const createTopics = (topicsFile: string, env: Record<string, string> = {}) =>
    run('bash', [join(REPO_ROOT, 'docker', 'kafka', 'create-topics.sh')], {
      PATH: process.env['PATH'],
      KAFKA_TOPICS: join(dir, 'kafka-topics.sh'),
      TOPICS_FILE: topicsFile,
      ...env,
    });
  const calls = () => readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');

  it('creates the topics of the list with their partitions and configs, prefixed', async () => {
    const list = join(dir, 'topics.txt');
    writeFileSync(
      list,
      [
        '# a comment',
        '',
        'demo.in pipeline 12 max.message.bytes=2000000 retention.ms=3600000',
        'demo.mid pipeline -',
        'demo.in.dlq dead-letter - max.message.bytes=2000000 retention.ms=3600000',
        '',
      ].join('\n'),
    );
    const result = await createTopics(list, {
      TOPIC_PREFIX: 't1.',
      TOPIC_PARTITIONS: '3',
      DLQ_PARTITIONS: '2',
      BOOTSTRAP_SERVER: 'b:1',
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const common = '--bootstrap-server b:1 --create --if-not-exists';
    expect(calls()).toEqual([
      `${common} --topic t1.demo.in --partitions 12 --replication-factor 1 --config max.message.bytes=2000000 --config retention.ms=3600000`,
      `${common} --topic t1.demo.mid --partitions 3 --replication-factor 1`,
      // Dead letters keep DLQ_RETENTION_MS, not their input's retention.
      `${common} --topic t1.demo.in.dlq --partitions 2 --replication-factor 1 --config retention.ms=1209600000 --config max.message.bytes=2000000`,
      '--bootstrap-server b:1 --list',
    ]);
  });

  it('reads the generated list beside it: every topic of every pipeline', async () => {
    const result = await createTopics(join(REPO_ROOT, 'docker', 'kafka', 'topics.txt'));
    expect(result.code).toBe(0);
    const created = calls()
      .filter((c) => c.includes('--create'))
      .map((c) => c.match(/--topic (\S+)/)![1]);
    expect(created).toEqual(expect.arrayContaining(['ocr.requests', 'ocr.requests.dlq', 'ocr.results']));
    expect(calls().find((c) => c.includes('--topic ocr.requests '))).toContain('--config max.message.bytes=');
  });

  it('refuses a malformed list and bad settings', async () => {
    const list = join(dir, 'topics.txt');
    writeFileSync(list, 'demo.in sideways -\n');
    expect((await createTopics(list)).stderr).toMatch(/unknown kind 'sideways'/);
    writeFileSync(list, 'demo.in pipeline 0\n');
    expect((await createTopics(list)).code).toBe(2);
    writeFileSync(list, '# nothing\n');
    expect((await createTopics(list)).stderr).toMatch(/lists no topic/);
    expect((await createTopics(join(dir, 'missing.txt'))).stderr).toMatch(/cannot read the topic list/);
    expect((await createTopics(list, { TOPIC_PREFIX: 'bad prefix' })).code).toBe(2);
  });
});

describe('docker/kafka/kafka-ready.sh (the Kafka image healthcheck)', () => {
  const ready = (host: string, port: number) =>
    run('bash', [join(REPO_ROOT, 'docker', 'kafka', 'kafka-ready.sh'), host, String(port)]);

  /** A TCP server that answers the first request with `reply` (or nothing). */
  async function fakeBroker(
    reply: Buffer | undefined,
  ): Promise<{ port: number; request: Promise<Buffer>; close(): void }> {
    let received: (b: Buffer) => void = () => undefined;
    const request = new Promise<Buffer>((resolve) => (received = resolve));
    const server = createTcpServer((socket) => {
      socket.once('data', (data) => {
        received(data);
        if (reply) socket.end(reply);
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as AddressInfo).port, request, close: () => server.close() };
  }
  // size | correlation id 1 | error code | (the rest of an ApiVersions response)
  const response = (errorCode: number) => Buffer.from([0, 0, 0, 6, 0, 0, 0, 1, 0, errorCode]);

  it('sends an ApiVersions v0 request and exits 0 when the broker answers it without error', async () => {
    const broker = await fakeBroker(response(0));
    try {
      const result = await ready('127.0.0.1', broker.port);
      expect(result.code).toBe(0);
      // size 11 | api_key 18 | api_version 0 | correlation_id 1 | client_id "h"
      expect([...(await broker.request)]).toEqual([0, 0, 0, 11, 0, 18, 0, 0, 0, 0, 0, 1, 0, 1, 104]);
    } finally {
      broker.close();
    }
  });

  it('fails on an error answer, on silence and when nothing listens', async () => {
    const failing = await fakeBroker(response(35));
    const silent = await fakeBroker(undefined);
    try {
      expect((await ready('127.0.0.1', failing.port)).code).not.toBe(0);
      expect(
        (
          await run('bash', [join(REPO_ROOT, 'docker', 'kafka', 'kafka-ready.sh'), '127.0.0.1', String(silent.port)], {
            ...process.env,
            KAFKA_READY_TIMEOUT: '1',
          })
        ).code,
      ).not.toBe(0);
    } finally {
      failing.close();
      silent.close();
    }
    const closed = await fakeBroker(undefined);
    closed.close();
    expect((await ready('127.0.0.1', closed.port)).code).not.toBe(0);
  });

  // Against the real broker of the test run (the root Jest config starts one).
  (process.env['KAFKA_BROKERS'] ? it : it.skip)('passes against the Kafka of the test run', async () => {
    const [host, port] = (process.env['KAFKA_BROKERS'] ?? '').split(',')[0].split(':');
    expect((await ready(host, Number(port))).code).toBe(0);
  });
});
