import { ReadinessRegistry, type ReadinessCheck } from './readiness';

interface Case {
  name: string;
  checks: Record<string, ReadinessCheck>;
  ready: boolean;
}

describe('ReadinessRegistry', () => {
  it.each<Case>([
    { name: 'no checks is not ready', checks: {}, ready: false },
    { name: 'all pass', checks: { kafka: () => true, model: async () => true }, ready: true },
    { name: 'one fails', checks: { kafka: () => true, redis: () => false }, ready: false },
    {
      name: 'a throwing check counts as failed',
      checks: {
        kafka: () => {
          throw new Error('boom');
        },
      },
      ready: false,
    },
    { name: 'a hanging check times out', checks: { slow: () => new Promise<boolean>(() => undefined) }, ready: false },
  ])('$name', async ({ checks, ready }) => {
    const registry = new ReadinessRegistry();
    Object.entries(checks).forEach(([name, check]) => registry.register(name, check));
    const report = await registry.report(20);
    expect(report.ready).toBe(ready);
    expect(Object.keys(report.checks)).toEqual(Object.keys(checks));
  });

  it('is live without liveness checks, and not live once one fails, throws or hangs', async () => {
    const registry = new ReadinessRegistry();
    expect(await registry.liveness(20)).toEqual({ live: true, checks: {} });
    let consumerAlive = true;
    registry.registerLiveness('kafka-consumer', () => consumerAlive);
    expect(await registry.liveness(20)).toEqual({ live: true, checks: { 'kafka-consumer': true } });
    consumerAlive = false;
    expect(await registry.liveness(20)).toEqual({ live: false, checks: { 'kafka-consumer': false } });
    consumerAlive = true;
    registry.registerLiveness('hangs', () => new Promise<boolean>(() => undefined));
    expect((await registry.liveness(20)).live).toBe(false);
  });

  it('keeps liveness and readiness apart', async () => {
    const registry = new ReadinessRegistry();
    registry.register('redis', () => false);
    expect((await registry.liveness(20)).live).toBe(true);
    expect((await registry.report(20)).ready).toBe(false);
  });
});
