// `npx nx run chaos:chaos -- [options]`: the chaos suite from the command line.
// Exit codes: 0 every fault passed, 1 a fault failed its row, 2 bad options,
// 3 the run itself could not go on (the platform did not start or heal).
import { writeFileSync } from 'node:fs';
import { silenceKafkajsNegativeTimeoutWarning } from '@conveyor/stage-runtime';
import { ChaosRunError, runChaos } from './chaos';
import { buildCommand, parseOptions } from './options';
import { formatTable } from './table';

const LOG_TAIL = 200;

async function main(argv: readonly string[]): Promise<number> {
  silenceKafkajsNegativeTimeoutWarning();
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(buildCommand().helpInformation());
    return 0;
  }
  const options = parseOptions(argv);
  if ('error' in options) {
    process.stderr.write(`chaos: ${options.error}\n`);
    return 2;
  }
  const progress = (line: string): void => void process.stderr.write(`[chaos] ${line}\n`);
  const logLines: string[] = [];
  const onLog = options.logFile ? (line: string) => void logLines.push(line) : undefined;
  try {
    const report = await runChaos({ ...options, kafkaBrokers: process.env['KAFKA_BROKERS']?.trim() || undefined, progress, onLog });
    process.stdout.write(`${formatTable(report.rows)}\n`);
    for (const s of report.skipped) process.stdout.write(`skipped ${s.fault}: ${s.reason}\n`);
    if (options.json) writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    return report.passed ? 0 : 1;
  } catch (error) {
    const logs = error instanceof ChaosRunError ? error.logs : [];
    process.stderr.write(`${logs.slice(-LOG_TAIL).join('\n')}\nchaos: ${(error as Error).message}\n`);
    return 3;
  } finally {
    if (options.logFile) writeFileSync(options.logFile, `${logLines.join('\n')}\n`);
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // kafkajs and ioredis may hold timers a little longer; the report is written.
  setTimeout(() => process.exit(code), 1_000).unref();
});
