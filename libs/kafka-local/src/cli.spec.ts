import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findFreePort } from './ports';
import { findWorkspaceRoot } from './workspace';

// A broker start takes tens of seconds on a loaded 2-core machine: a generous limit, no assertion on time.
jest.setTimeout(240_000);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm run kafka', () => {
  let dataDir: string;
  beforeAll(() => (dataDir = mkdtempSync(path.join(os.tmpdir(), 'kafka-cli-'))));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('exits non-zero, saying so, when its broker is killed (kill -9 of the JVM)', async () => {
    const port = await findFreePort();
    const npm = spawn('npm', ['run', '--silent', 'kafka', '--', '--port', String(port), '--data-dir', dataDir], {
      cwd: findWorkspaceRoot(),
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    try {
      const jvmPid = await new Promise<number>((resolve, reject) => {
        npm.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          const ready = /READY brokers=127\.0\.0\.1:(\d+) version=\S+ pid=(\d+)/.exec(stdout);
          if (ready) resolve(Number(ready[2]));
        });
        npm.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        void exited.then((code) => reject(new Error(`npm run kafka exited (${code}) before the broker was ready:\n${stdout}\n${stderr}`)));
      });
      expect(stdout).toContain(`READY brokers=127.0.0.1:${port} `);

      process.kill(jvmPid, 'SIGKILL');
      expect(await exited).toBe(1);
      expect(isAlive(jvmPid)).toBe(false);
      expect(stderr).toMatch(
        new RegExp(`\\[kafka\\] the broker \\(pid ${jvmPid}\\) DIED on its own \\(code null, signal SIGKILL\\); exiting with status 1\\. Data is kept in ${dataDir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')};`),
      );
      expect(stderr).toMatch(/Kafka Server started/); // the broker's last log lines come with it
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
    }
  });
});
