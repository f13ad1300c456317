import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDockerAvailable, testImages } from './docker';
import { chooseTestKafkaProvider, chooseTestRedisProvider } from './jest-kafka';

describe('chooseTestKafkaProvider', () => {
  let emptyDir: string;
  beforeAll(() => (emptyDir = mkdtempSync(path.join(os.tmpdir(), 'testing-provider-'))));
  afterAll(() => rmSync(emptyDir, { recursive: true, force: true }));

  it.each([
    [{ KAFKA_BROKERS: 'x:1' }, 'external'],
    [{ KAFKA_BROKERS: 'x:1', CONVEYOR_TEST_KAFKA: 'docker' }, 'external'],
    [{ CONVEYOR_TEST_KAFKA: 'docker' }, 'docker'],
    [{ CONVEYOR_TEST_KAFKA: 'local' }, 'local'],
  ])('%j gives %s', async (env, expected) => {
    expect(await chooseTestKafkaProvider(env)).toBe(expected);
  });

  it('prefers the local Kafka when Java is installed', async () => {
    expect(await chooseTestKafkaProvider({ PATH: process.env['PATH'], JAVA_HOME: process.env['JAVA_HOME'] })).toBe('local');
  });

  it('rejects an unknown CONVEYOR_TEST_KAFKA', async () => {
    await expect(chooseTestKafkaProvider({ CONVEYOR_TEST_KAFKA: 'podman' })).rejects.toThrow(/must be "local" or "docker"/);
  });

  it('without Java or Docker, fails with the Java error', async () => {
    await expect(chooseTestKafkaProvider({ PATH: emptyDir, DOCKER_HOST: `unix://${emptyDir}/docker.sock` })).rejects.toMatchObject({
      code: 'JAVA_NOT_FOUND',
    });
  });
});

describe('isDockerAvailable', () => {
  it('is false for an unreachable DOCKER_HOST and no docker CLI', async () => {
    expect(await isDockerAvailable({ DOCKER_HOST: 'tcp://127.0.0.1:1', PATH: '/nonexistent' }, 1000)).toBe(false);
  });
});

describe('chooseTestRedisProvider', () => {
  it.each([
    [{}, 'external'],
    [{ CONVEYOR_TEST_REDIS: 'docker' }, 'docker'],
    [{ CONVEYOR_TEST_REDIS: 'docker', REDIS_URL: 'redis://x:1' }, 'external'],
  ])('%j gives %s', (env, expected) => {
    expect(chooseTestRedisProvider(env)).toBe(expected);
  });

  it('rejects an unknown CONVEYOR_TEST_REDIS', () => {
    expect(() => chooseTestRedisProvider({ CONVEYOR_TEST_REDIS: 'podman' })).toThrow(/must be "docker"/);
  });
});

describe('testImages', () => {
  it("are the project's own Kafka (the pinned version) and Redis images, unless named otherwise", () => {
    expect(testImages({})).toEqual({
      kafka: expect.stringMatching(/^ghcr\.io\/conveyor-ml\/conveyor-kafka:\d+\.\d+\.\d+$/),
      redis: 'ghcr.io/conveyor-ml/conveyor-redis:7.0-bookworm',
    });
    expect(testImages({ CONVEYOR_KAFKA_IMAGE: 'k:1', CONVEYOR_REDIS_IMAGE: 'r:2' })).toEqual({ kafka: 'k:1', redis: 'r:2' });
  });
});
