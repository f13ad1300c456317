import { parseOptions, SHORT_FAULTS } from './options';

describe('parseOptions', () => {
  it('has defaults for a full run', () => {
    expect(parseOptions([])).toEqual({
      faults: ['all'],
      requests: 30,
      ratePerSecond: 2,
      faultAfterMs: 4_000,
      resultTimeoutMs: 300_000,
      seed: 2026,
      partitions: 2,
      replicaStage: 'inference',
      stageLogLevel: 'warn',
      cerTolerance: 0.005,
      json: undefined,
      logFile: undefined,
    });
  });

  it.each<[string[], Record<string, unknown>]>([
    [['--short'], { faults: [...SHORT_FAULTS], requests: 12 }],
    [['--short', '--requests', '5'], { faults: [...SHORT_FAULTS], requests: 5 }],
    [['--short', '--faults', 'poison'], { faults: ['poison'], requests: 12 }],
    [['--faults', 'kill-features, redis-away'], { faults: ['kill-features', 'redis-away'] }],
    [['--rate', '0.5', '--fault-after', '2.5', '--timeout', '60'], { ratePerSecond: 0.5, faultAfterMs: 2_500, resultTimeoutMs: 60_000 }],
    [['--json', 'r.json', '--log', 'l.txt', '--replica-stage', 'features'], { json: 'r.json', logFile: 'l.txt', replicaStage: 'features' }],
  ])('%j', (argv, expected) => {
    expect(parseOptions(argv)).toMatchObject(expected);
  });

  it.each<[string[], RegExp]>([
    [['--requests', '0'], /--requests must be at least 1/],
    [['--requests', 'ten'], /--requests must be an integer in \[1, 10000\]/],
    [['--rate', '0'], /--rate must be more than 0/],
    [['--rate', 'fast'], /--rate must be a number/],
    [['--timeout', '5'], /--timeout must be at least 10/],
    [['--partitions', '65'], /--partitions must be at most 64/],
    [['--stage-log-level', 'loud'], /Invalid option|expected one of/i],
    [['--faults', ' '], /--faults must name at least one fault/],
    [['--cer-tolerance', '2'], /at most 1/],
    [['--nope'], /unknown option '--nope'/],
    [['--requests', '0', '--rate', '0'], /--requests must be at least 1; --rate must be more than 0/],
  ])('%j is refused', (argv, message) => {
    const parsed = parseOptions(argv);
    expect(parsed).toHaveProperty('error');
    expect((parsed as { error: string }).error).toMatch(message);
  });
});
