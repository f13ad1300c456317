// Command-line options of the benchmark. Parsing is separate from running so
// the validation (every bad value named, with its allowed range) is testable.
import { Command, InvalidArgumentError } from 'commander';

export interface BenchOptions {
  /** Images in the corpus (all three readers read the same ones). */
  count: number;
  seed: number;
  rotatedShare: number;
  /** In-process readers working at once, each with its own single-threaded sessions. */
  concurrency: number;
  /** Partitions of each pipeline topic. */
  partitions: number;
  /** How long to wait for the pipeline's results before counting the rest as lost. */
  timeoutSeconds: number;
  json: boolean;
  /** Print the items where the engine and the pipeline read different text. */
  showDiffs: boolean;
  /** LOG_LEVEL of the stages; their lines are shown only when the pipeline fails. */
  stageLogLevel: StageLogLevel;
}

export const STAGE_LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type StageLogLevel = (typeof STAGE_LOG_LEVELS)[number];

export const BENCH_DEFAULTS = {
  count: 40,
  seed: 2026,
  rotatedShare: 0.25,
  concurrency: 1,
  partitions: 2,
  timeoutSeconds: 300,
  stageLogLevel: 'warn',
} as const;

/** A commander argument parser for an integer in [min, max]; the message names the option. */
export function integerIn(name: string, min: number, max: number): (value: string) => number {
  return (value: string): number => {
    const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}], got "${value}".`);
    }
    return n;
  };
}

/** A commander argument parser for a number in [0, 1]. */
export function fractionArg(name: string): (value: string) => number {
  return (value: string): number => {
    const n = /^(\d+(\.\d*)?|\.\d+)$/.test(value.trim()) ? Number(value.trim()) : NaN;
    if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`${name} must be a number in [0, 1], got "${value}".`);
    return n;
  };
}

/** A commander argument parser for a stage log level. */
export function logLevelArg(value: string): StageLogLevel {
  const level = value.trim().toLowerCase();
  if (!(STAGE_LOG_LEVELS as readonly string[]).includes(level)) {
    throw new InvalidArgumentError(`--stage-log-level must be one of ${STAGE_LOG_LEVELS.join(', ')}, got "${value}".`);
  }
  return level as StageLogLevel;
}

/** The command, without side effects until parsed; options arrive validated. */
export function buildCommand(): Command {
  return new Command('ocr-bench')
    .description(
      'Reads one rendered corpus with the in-process peer (@gutenye/ocr-node), our in-process engine and the ' +
        'Conveyor pipeline over Kafka, and prints accuracy and throughput side by side.',
    )
    .option('--count <n>', 'images in the corpus', integerIn('--count', 1, 10_000), BENCH_DEFAULTS.count)
    .option('--seed <s>', 'corpus seed', integerIn('--seed', 0, 0xffffffff), BENCH_DEFAULTS.seed)
    .option(
      '--rotated-share <p>',
      'share of images turned by 180°',
      fractionArg('--rotated-share'),
      BENCH_DEFAULTS.rotatedShare,
    )
    .option(
      '--concurrency <n>',
      'in-process readers (peer and engine) working at once, each with its own 1-thread sessions',
      integerIn('--concurrency', 1, 16),
      BENCH_DEFAULTS.concurrency,
    )
    .option(
      '--partitions <n>',
      'partitions of each pipeline topic',
      integerIn('--partitions', 1, 64),
      BENCH_DEFAULTS.partitions,
    )
    .option(
      '--timeout <s>',
      'seconds to wait for the pipeline results',
      integerIn('--timeout', 1, 3_600),
      BENCH_DEFAULTS.timeoutSeconds,
    )
    .option(
      '--stage-log-level <level>',
      `LOG_LEVEL of the stages (${STAGE_LOG_LEVELS.join(', ')}); shown only when the pipeline fails`,
      logLevelArg,
      BENCH_DEFAULTS.stageLogLevel,
    )
    .option('--json', 'print the results as JSON instead of a table', false)
    .option('--show-diffs', 'list the items the engine and the pipeline read differently', false);
}

/** Parses argv (as process.argv: node, script, …) into validated options; commander exits on a usage error. */
export function parseOptions(argv: readonly string[], command: Command = buildCommand()): BenchOptions {
  const o = command.parse([...argv]).opts<{
    count: number;
    seed: number;
    rotatedShare: number;
    concurrency: number;
    partitions: number;
    timeout: number;
    json: boolean;
    showDiffs: boolean;
    stageLogLevel: StageLogLevel;
  }>();
  return {
    count: o.count,
    seed: o.seed,
    rotatedShare: o.rotatedShare,
    concurrency: o.concurrency,
    partitions: o.partitions,
    timeoutSeconds: o.timeout,
    json: o.json,
    showDiffs: o.showDiffs,
    stageLogLevel: o.stageLogLevel,
  };
}
