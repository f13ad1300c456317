import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { startRedisServer, type TestRedisServer } from './redis-server';

/** A redis-server of the caller's own: a restart loses everything, unless it keeps an append-only file. */
describe('startRedisServer', () => {
  let dir: string;
  let server: TestRedisServer | undefined;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'redis-server-'))));
  afterEach(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function writeKillRead(options: { appendOnlyDir?: string }): Promise<string | null> {
    server = await startRedisServer(options);
    const client = new Redis(server.url, { lazyConnect: true, retryStrategy: () => 100 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.set('k', 'v');
      await server.stop('SIGKILL');
      expect(server.running).toBe(false);
      await server.start();
      return await client.get('k');
    } finally {
      client.disconnect();
    }
  }

  it('with an append-only file, keeps every acknowledged write through a SIGKILL', async () => {
    expect(await writeKillRead({ appendOnlyDir: dir })).toBe('v');
  });

  it('without one, comes back empty', async () => {
    expect(await writeKillRead({})).toBeNull();
  });
});
