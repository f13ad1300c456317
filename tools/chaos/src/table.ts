// The chaos report as a Markdown table (what the README's "Failure behaviour"
// section shows) followed by the problems of every failing row.
import { percent, type FaultRow } from './tally';

const signedPoints = (delta: number | null): string => (delta === null ? '—' : `${delta >= 0 ? '+' : '−'}${Math.abs(delta * 100).toFixed(2)} pt`);

export function formatTable(rows: readonly FaultRow[]): string {
  const header = ['fault', 'sent', 'ok', 'failed (expected)', 'missing', 'duplicated', 'CER', 'vs no fault', 'healed in', 'verdict'];
  const lines = rows.map((row) => [
    row.fault,
    String(row.sent),
    String(row.ok),
    `${row.failed} (${row.expectedFailed})`,
    String(row.missing),
    String(row.duplicated),
    percent(row.cer),
    signedPoints(row.cerDelta),
    row.healSeconds === undefined ? '—' : `${row.healSeconds.toFixed(1)} s`,
    row.problems.length === 0 ? 'pass' : 'FAIL',
  ]);
  const table = [header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
  const problems = rows.flatMap((row) => row.problems.map((p) => `- ${row.fault}: ${p}`));
  return problems.length ? `${table}\n\nProblems:\n${problems.join('\n')}` : table;
}
