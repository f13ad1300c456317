// Command-line options of the chaos suite, parsed apart from running it so
// that every bad value is named with its allowed range (tested).
import { Command } from 'commander';
import { z } from 'zod';

/** The CI run: one stage killed, Redis away, poison; few requests. Every fault: `--faults all`. */
export const SHORT_FAULTS = ['kill-features', 'redis-away', 'poison'] as const;

export interface ChaosCliOptions {
  faults: string[];
  requests: number;
  ratePerSecond: number;
  faultAfterMs: number;
  resultTimeoutMs: number;
  seed: number;
  partitions: number;
  replicaStage: string;
  stageLogLevel: string;
  cerTolerance: number;
  /** Write the report as JSON here. */
  json?: string;
  /** Write every platform log line here (else only a failing run shows its tail). */
  logFile?: string;
}

const integer = (name: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${name} must be an integer in [${min}, ${max}]`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`));

const positiveNumber = (name: string, max: number) =>
  z
    .string()
    .trim()
    .regex(/^(\d+(\.\d*)?|\.\d+)$/, `${name} must be a number`)
    .transform(Number)
    .pipe(z.number().gt(0, `${name} must be more than 0`).max(max, `${name} must be at most ${max}`));

const rawSchema = z.object({
  faults: z
    .string()
    .trim()
    .min(1, '--faults must name at least one fault')
    .transform((s) => s.split(',').map((f) => f.trim()).filter(Boolean)),
  requests: integer('--requests', 1, 10_000),
  rate: positiveNumber('--rate', 1_000),
  faultAfter: positiveNumber('--fault-after', 3_600),
  timeout: integer('--timeout', 10, 86_400),
  seed: integer('--seed', 0, 4_294_967_295),
  partitions: integer('--partitions', 1, 64),
  replicaStage: z.string().trim().min(1),
  stageLogLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  cerTolerance: z
    .string()
    .trim()
    .regex(/^(\d+(\.\d*)?|\.\d+)$/, '--cer-tolerance must be a number')
    .transform(Number)
    .pipe(z.number().max(1, '--cer-tolerance is a share, at most 1')),
  short: z.boolean().optional(),
  json: z.string().optional(),
  log: z.string().optional(),
});

export function buildCommand(): Command {
  return new Command('chaos')
    .description('Steady load through the public contract while faults hit the platform; prints faults × sent/ok/failed/missing/duplicated and CER against a no-fault run.')
    .option('--faults <list>', 'comma-separated faults, or "all" (kill-<stage>, rolling-restart, kill-broker, replica-join-leave, replica-join-kill, redis-away, poison)', 'all')
    .option('--short', `the CI run: ${SHORT_FAULTS.join(', ')} with 12 requests (other options still apply)`)
    .option('--requests <n>', 'good requests per run', '30')
    .option('--rate <per-second>', 'arrival rate of the steady load', '2')
    .option('--fault-after <seconds>', 'when the fault fires after the first request', '4')
    .option('--timeout <seconds>', 'how long a run may wait for its results after the last request', '300')
    .option('--seed <n>', 'corpus seed', '2026')
    .option('--partitions <n>', 'partitions of each pipeline topic', '2')
    .option('--replica-stage <stage>', 'the stage an extra replica joins (replica faults)', 'inference')
    .option('--stage-log-level <level>', 'LOG_LEVEL of the stages', 'warn')
    .option('--cer-tolerance <share>', 'how far CER may move from the no-fault run (0.005 = half a point)', '0.005')
    .option('--json <file>', 'write the report as JSON')
    .option('--log <file>', 'write the platform log lines')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
}

/** The parsed options, or an error message naming every bad value. */
export function parseOptions(argv: readonly string[]): ChaosCliOptions | { error: string } {
  const command = buildCommand();
  try {
    command.parse([...argv], { from: 'user' });
  } catch (error) {
    return { error: (error as Error).message };
  }
  const parsed = rawSchema.safeParse(command.opts());
  if (!parsed.success) return { error: parsed.error.issues.map((i) => i.message).join('; ') };
  const o = parsed.data;
  const explicit = (name: string): boolean => command.getOptionValueSource(name) === 'cli';
  return {
    faults: o.short && !explicit('faults') ? [...SHORT_FAULTS] : o.faults,
    requests: o.short && !explicit('requests') ? 12 : o.requests,
    ratePerSecond: o.rate,
    faultAfterMs: o.faultAfter * 1000,
    resultTimeoutMs: o.timeout * 1000,
    seed: o.seed,
    partitions: o.partitions,
    replicaStage: o.replicaStage,
    stageLogLevel: o.stageLogLevel,
    cerTolerance: o.cerTolerance,
    json: o.json,
    logFile: o.log,
  };
}
