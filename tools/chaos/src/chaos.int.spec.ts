import { kafkaBrokers } from '@conveyor/testing';
import { runChaos } from './chaos';
import { SHORT_FAULTS } from './options';
import { formatTable } from './table';

/**
 * The chaos suite's short version, as CI runs it: the OCR platform with
 * self-healing on, on the test run's Kafka (the broker fault needs a broker
 * of its own: `npx nx run chaos:chaos -- --faults all` runs it), a Redis of
 * the run's own, a steady load through the public contract, and one stage
 * killed, Redis away for 10 s, poison inputs. Every request must be answered
 * exactly once, poison with its reason, and the text read as without a fault.
 */
jest.setTimeout(900_000);

describe('chaos suite (short)', () => {
  it('loses nothing, duplicates nothing and reads the same text under each fault', async () => {
    const lines: string[] = [];
    const report = await runChaos({
      faults: [...SHORT_FAULTS],
      requests: 8,
      ratePerSecond: 2,
      faultAfterMs: 2_000,
      resultTimeoutMs: 400_000,
      seed: 2026,
      partitions: 2,
      replicaStage: 'inference',
      kafkaBrokers: kafkaBrokers().join(','),
      stageLogLevel: 'warn',
      cerTolerance: 0.005,
      progress: (line) => lines.push(line),
    });
    const table = formatTable(report.rows);
    if (!report.passed) throw new Error(`${table}\n\n${lines.join('\n')}`);

    expect(report.rows.map((r) => r.fault)).toEqual(['no fault', 'kill -9 features', 'Redis away 10 s', 'poison inputs']);
    for (const row of report.rows) {
      expect(row).toMatchObject({ missing: 0, duplicated: 0, ok: 8, failed: row.expectedFailed, problems: [] });
    }
    expect(report.rows[3]!.expectedFailed).toBe(4);
    expect(report.rows[1]!.healSeconds).toBeGreaterThan(0);
    expect(report.rows[2]!.healSeconds).toBeGreaterThan(0);
  });
});
