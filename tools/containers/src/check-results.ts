/**
 * Checks what `conveyor ocr <dir> --json` printed against samples/truth.json:
 *
 *   node -r @swc-node/register tools/containers/src/check-results.ts RESULTS.json TRUTH.json [--max-cer 0.05]
 *
 * Every truth item must come back exactly once with status "ok" and a character
 * error rate at most --max-cer. A result's file may carry a prefix ending in "-"
 * before the truth file's name (e2e.sh sends copies named r1-s208-0000.png, ...):
 * it is matched by its name's end. Prints one line per image and exits 1 on any
 * problem. Used by tools/containers/e2e.sh.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { characterErrorRate, normalizePrediction, readTruth, type TruthItem } from '@conveyor/corpus';

/** One element of `conveyor ocr --json`'s array. */
export interface CliResult {
  file: string;
  id?: string;
  status: string;
  lines?: Array<{ text: string }>;
  error?: unknown;
}

export interface ResultCheck {
  file: string;
  truth?: string;
  status: string;
  cer?: number;
  problem?: string;
}

export interface CheckSummary {
  checks: ResultCheck[];
  problems: string[];
  /** Mean character error rate over the results that could be scored. */
  meanCer: number;
}

/** The truth item a result file stands for: the one whose file name the result's name is, or ends with after a "-". */
export function truthFor(file: string, items: readonly TruthItem[]): TruthItem | undefined {
  const name = basename(file);
  return items.find((i) => name === i.file || name.endsWith(`-${i.file}`));
}

export function checkResults(
  results: readonly CliResult[],
  items: readonly TruthItem[],
  options: { maxCer?: number; copies?: number } = {},
): CheckSummary {
  const maxCer = options.maxCer ?? 0.05;
  const copies = options.copies ?? 1;
  const checks: ResultCheck[] = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const ids = new Set<string>();
  for (const result of results) {
    const item = truthFor(result.file, items);
    const check: ResultCheck = { file: result.file, status: result.status };
    checks.push(check);
    if (!item) {
      check.problem = 'no truth item for this file';
    } else {
      check.truth = item.file;
      seen.set(item.file, (seen.get(item.file) ?? 0) + 1);
      if (result.status !== 'ok') {
        check.problem = `status ${result.status}${result.error ? ` (${JSON.stringify(result.error)})` : ''}`;
      } else {
        check.cer = characterErrorRate(normalizePrediction((result.lines ?? []).map((l) => l.text)), item.lines);
        if (check.cer > maxCer)
          check.problem = `character error rate ${(check.cer * 100).toFixed(1)}% > ${maxCer * 100}%`;
      }
    }
    if (result.id) {
      if (ids.has(result.id)) check.problem = `request id ${result.id} answered twice`;
      ids.add(result.id);
    }
    if (check.problem) problems.push(`${result.file}: ${check.problem}`);
  }
  for (const item of items) {
    const count = seen.get(item.file) ?? 0;
    if (count !== copies) problems.push(`${item.file}: ${count} result(s), expected ${copies}`);
  }
  const scored = checks.filter((c) => c.cer !== undefined);
  const meanCer = scored.length > 0 ? scored.reduce((sum, c) => sum + (c.cer ?? 0), 0) / scored.length : 1;
  return { checks, problems, meanCer };
}

function main(argv: string[]): number {
  const [resultsFile, truthFile, ...rest] = argv;
  if (!resultsFile || !truthFile) {
    process.stderr.write('usage: check-results.ts RESULTS.json TRUTH.json [--max-cer 0.05] [--copies N]\n');
    return 2;
  }
  const option = (name: string, fallback: number): number => {
    const at = rest.indexOf(name);
    return at >= 0 ? Number(rest[at + 1]) : fallback;
  };
  const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as CliResult[];
  const truth = readTruth(truthFile);
  const summary = checkResults(results, truth.items, {
    maxCer: option('--max-cer', 0.05),
    copies: option('--copies', 1),
  });
  for (const c of summary.checks) {
    const cer = c.cer === undefined ? '' : ` CER ${(c.cer * 100).toFixed(1)}%`;
    process.stdout.write(`  ${c.file}: ${c.status}${cer}${c.problem ? `  <- ${c.problem}` : ''}\n`);
  }
  process.stdout.write(
    `  ${summary.checks.length} results, mean CER ${(summary.meanCer * 100).toFixed(2)}%, ${summary.problems.length} problem(s)\n`,
  );
  for (const p of summary.problems) process.stderr.write(`check-results: ${p}\n`);
  return summary.problems.length === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
