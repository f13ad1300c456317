import { InvalidKafkaOptionsError } from './errors';
import { startKafka, type StartKafkaOptions } from './broker';

export interface ResolvedKafka {
  /** Comma-separated bootstrap list, as in KAFKA_BROKERS. */
  brokers: string;
  /** True when KAFKA_BROKERS named a broker and nothing was started. */
  external: boolean;
  /** Stops the broker this call started; does nothing for an external one. */
  stop(): Promise<void>;
  logTail(lines?: number): string;
}

/** Parses a KAFKA_BROKERS value ("host:port[,host:port...]") into its addresses. */
export function parseBrokerList(value: string): string[] {
  const brokers = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (brokers.length === 0) throw new InvalidKafkaOptionsError('KAFKA_BROKERS is set but names no broker');
  for (const broker of brokers) {
    const match = /^(.+):(\d{1,5})$/.exec(broker);
    if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
      throw new InvalidKafkaOptionsError(`KAFKA_BROKERS entry "${broker}" is not host:port`);
    }
  }
  return brokers;
}

/**
 * The broker to use: the one KAFKA_BROKERS names (nothing started), or a local one
 * started with `options`.
 */
export async function resolveKafka(
  options: StartKafkaOptions = {},
  env: Record<string, string | undefined> = process.env,
): Promise<ResolvedKafka> {
  const configured = env['KAFKA_BROKERS']?.trim();
  if (configured) {
    const brokers = parseBrokerList(configured).join(',');
    return { brokers, external: true, stop: async () => undefined, logTail: () => '' };
  }
  const handle = await startKafka(options);
  return { brokers: handle.brokers, external: false, stop: () => handle.stop(), logTail: (lines) => handle.logTail(lines) };
}
