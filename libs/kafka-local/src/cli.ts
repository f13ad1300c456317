/*
 * `npm run kafka`: runs the project's Kafka in the foreground for local work, with its
 * data kept under .conveyor/kafka-data, until Ctrl-C or SIGTERM.
 *
 *   node -r @swc-node/register libs/kafka-local/src/cli.ts [--host 127.0.0.1] [--port 9092] [--data-dir DIR]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startKafka } from './broker';
import { KafkaLocalError } from './errors';
import { findWorkspaceRoot } from './workspace';

interface CliOptions {
  host: string;
  port: number;
  dataDir: string;
}

export function parseCliArgs(argv: string[], workspaceRoot: string): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '9092' },
      'data-dir': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new KafkaLocalError('INVALID_OPTIONS', `--port must be an integer from 1 to 65535, got "${values.port}"`);
  }
  return {
    host: values.host,
    port,
    dataDir: path.resolve(values['data-dir'] ?? path.join(workspaceRoot, '.conveyor', 'kafka-data')),
  };
}

/** Runs the broker until a signal (exit 0 once stopped) or until it dies on its own (exit 1, with its last log lines). */
export async function main(): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (error instanceof KafkaLocalError) {
      console.error(`[kafka] ${error.name} (${error.code}): ${error.message}`);
    } else {
      console.error('[kafka] unexpected failure:', error);
    }
    process.exit(1);
  }
}

async function run(): Promise<void> {
  const root = findWorkspaceRoot();
  const options = parseCliArgs(process.argv.slice(2), root);
  const log = (line: string): void => console.log(`[kafka] ${line}`);
  const kafka = await startKafka({ ...options, workspaceRoot: root, log });
  log(`READY brokers=${kafka.brokers} version=${kafka.version} pid=${kafka.pid}`);
  log(`data: ${kafka.dataDir}   log: ${path.join(kafka.dataDir, 'logs', 'server.log')}`);
  log('Ctrl-C stops the broker (data is kept).');

  // The JVM child is unref'd by the launcher; this keeps the CLI alive while it runs.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log(`${signal} again: killing the broker now`);
      process.kill(kafka.pid, 'SIGKILL');
      process.exit(130);
    }
    stopping = true;
    log(`${signal}: stopping the broker...`);
    kafka.stop().then(
      () => {
        log('stopped');
        clearInterval(keepAlive);
        process.exit(0);
      },
      (error: unknown) => {
        console.error(`[kafka] stopping failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  process.on('SIGHUP', shutdown);

  const exit = await kafka.exited;
  if (!stopping) {
    console.error(
      `[kafka] the broker (pid ${kafka.pid}) DIED on its own (code ${exit.code}, signal ${exit.signal}); exiting with status 1. ` +
        `Data is kept in ${kafka.dataDir}; \`npm run kafka\` starts it again. Its last log lines:\n${kafka.logTail(30)}`,
    );
    process.exit(1);
  }
}

if (require.main === module) void main();
