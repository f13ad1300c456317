import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDockerAvailable } from './docker';
import { chooseTestKafkaProvider } from './jest-kafka';

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
