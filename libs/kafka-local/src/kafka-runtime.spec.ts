import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidKafkaOptionsError, MavenNotFoundError } from './errors';
import { ensureKafkaRuntime, readPinnedKafkaVersion, runtimeCacheKey } from './kafka-runtime';
import { findWorkspaceRoot, KAFKA_POM_RELATIVE_PATH } from './workspace';

const pomPath = path.join(findWorkspaceRoot(), KAFKA_POM_RELATIVE_PATH);

describe('readPinnedKafkaVersion', () => {
  it.each([
    ['<properties><kafka.version>4.1.1</kafka.version></properties>', '4.1.1'],
    ['<kafka.version>\n  4.0.0\n</kafka.version>', '4.0.0'],
    ['<kafka.version>4.2.0-rc1</kafka.version>', '4.2.0-rc1'],
  ])('reads %j as %s', (xml, version) => {
    expect(readPinnedKafkaVersion(xml)).toBe(version);
  });

  it.each(['<project/>', '<kafka.version>${x}</kafka.version>', '<kafka.version>latest</kafka.version>'])('rejects %j', (xml) => {
    expect(() => readPinnedKafkaVersion(xml)).toThrow(InvalidKafkaOptionsError);
  });

  it('finds exactly one 4.x version pinned in tools/kafka/pom.xml', () => {
    expect(readPinnedKafkaVersion(readFileSync(pomPath, 'utf8'))).toMatch(/^4\.\d+\.\d+$/);
  });
});

describe('runtimeCacheKey', () => {
  it('starts with the version and changes with the descriptor', () => {
    const a = runtimeCacheKey('4.1.1', '<a/>');
    expect(a).toMatch(/^4\.1\.1-[0-9a-f]{10}$/);
    expect(runtimeCacheKey('4.1.1', '<a/>')).toBe(a);
    expect(runtimeCacheKey('4.1.1', '<b/>')).not.toBe(a);
  });
});

describe('ensureKafkaRuntime', () => {
  let cacheDir: string;
  beforeAll(() => (cacheDir = mkdtempSync(path.join(os.tmpdir(), 'kafka-local-cache-'))));
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

  it('fails with MAVEN_NOT_FOUND when the cache is empty and there is no mvn', async () => {
    await expect(ensureKafkaRuntime({ pomPath, cacheDir, env: { PATH: '/nonexistent' } })).rejects.toThrow(MavenNotFoundError);
  });

  it(
    'fetches once for concurrent callers, publishes a complete folder, then serves it without Maven',
    async () => {
      const results = await Promise.all([1, 2, 3].map(() => ensureKafkaRuntime({ pomPath, cacheDir })));
      expect(new Set(results.map((r) => r.libsDir)).size).toBe(1);
      expect(results.filter((r) => r.fetched)).toHaveLength(1);
      const { libsDir, version } = results[0];
      const jars = readdirSync(libsDir);
      expect(jars).toContain(`kafka_2.13-${version}.jar`);
      // The logging binding the broker needs to write its log.
      expect(jars).toEqual(expect.arrayContaining([expect.stringMatching(/^log4j-slf4j-impl-/), expect.stringMatching(/^log4j-core-/)]));
      expect(existsSync(path.join(path.dirname(libsDir), 'READY.json'))).toBe(true);
      // No staging folders or locks left behind.
      expect(readdirSync(cacheDir)).toEqual([path.basename(path.dirname(libsDir))]);

      const again = await ensureKafkaRuntime({ pomPath, cacheDir, env: { PATH: '/nonexistent' } });
      expect(again).toMatchObject({ libsDir, fetched: false });
    },
    5 * 60_000,
  );
});
