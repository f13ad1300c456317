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
});
