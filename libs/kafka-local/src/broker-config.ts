import { randomBytes } from 'node:crypto';
import { InvalidKafkaOptionsError } from './errors';

export type PropertyValue = string | number | boolean;

export interface BrokerConfigInput {
  /** Interface the client listener binds to and advertises. */
  host: string;
  port: number;
  controllerPort: number;
  /** Where Kafka keeps partitions and the metadata log. */
  logDir: string;
  /** Extra or replacing broker properties (tests use it to provoke failures). */
  overrides?: Record<string, PropertyValue>;
}

/** Java .properties escaping: backslashes and line breaks would otherwise change the value. */
function escapeValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/**
 * The server.properties of a one-node KRaft cluster (broker and controller in one
 * process). Everything a single node needs that the defaults get wrong is set here:
 * replication factors of internal topics (default 3 cannot be met), no automatic topic
 * creation (topics are declared, so a typo fails instead of creating a topic), and no
 * initial rebalance delay (tests join groups often). message.max.bytes stays at
 * Kafka's default (1 MiB) on purpose: local runs must hit the same limit as production.
 */
export function brokerProperties(input: BrokerConfigInput): Record<string, string> {
  const controller = `${input.host}:${input.controllerPort}`;
  const base: Record<string, PropertyValue> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.bootstrap.servers': controller,
    'controller.listener.names': 'CONTROLLER',
    listeners: `PLAINTEXT://${input.host}:${input.port},CONTROLLER://${controller}`,
    'advertised.listeners': `PLAINTEXT://${input.host}:${input.port}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': input.logDir,
    'num.partitions': 1,
    'auto.create.topics.enable': false,
    'offsets.topic.replication.factor': 1,
    // Kafka's default of 50 offsets partitions is for clusters; on one node every one of
    // them is created on the first group join and reloaded after each restart, which
    // took tens of seconds on a busy 2-core machine before the coordinator answered.
    'offsets.topic.num.partitions': 4,
    'transaction.state.log.num.partitions': 4,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'min.insync.replicas': 1,
    'default.replication.factor': 1,
    'group.initial.rebalance.delay.ms': 0,
  };
  const merged: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...base, ...input.overrides })) {
    if (!/^[A-Za-z0-9._-]+$/.test(key)) throw new InvalidKafkaOptionsError(`Invalid broker property name "${key}"`);
    merged[key] = String(value);
  }
  return merged;
}

/** Heap of the local broker's JVM (-Xms / -Xmx). */
export interface JvmHeap {
  min: string;
  max: string;
}

/**
 * Heap of the local broker: a single-node development broker whose largest
 * messages are requests of a few MiB (pages between stages travel as claim
 * checks) needs far less than Kafka's production default of 1 GiB; 256 MiB
 * keeps its resident size under 400 MB.
 */
export const DEFAULT_JVM_HEAP: JvmHeap = { min: '64m', max: '256m' };

/**
 * JVM flags of the local broker. Measured on the 2-core development machines
 * (docs/architecture.md, "Kafka"): with the JVM's defaults (G1, tiered
 * compilation up to C2) the freshly started broker spent a large share of its
 * CPU in the C2 compiler thread and G1's concurrent threads while the
 * pipeline ran, competing with the stages for two cores. The serial collector
 * (a small heap needs no concurrent GC) and client-level JIT (C1 only) cut
 * that; a broker at these message rates is bound by requests, not by peak
 * code quality. `extra` flags come last, so they override these (HotSpot
 * takes the last occurrence of a flag; another collector needs the serial one
 * turned off first: `-XX:-UseSerialGC -XX:+UseG1GC`).
 */
export function jvmOptions(heap: JvmHeap = DEFAULT_JVM_HEAP, extra: readonly string[] = []): string[] {
  return [
    `-Xms${heap.min}`,
    `-Xmx${heap.max}`,
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    ...extra,
  ];
}

/** Extra JVM flags from CONVEYOR_KAFKA_JVM_OPTS (whitespace-separated), appended after the defaults. */
export function jvmOptionsFromEnv(env: Record<string, string | undefined>): string[] {
  return (env['CONVEYOR_KAFKA_JVM_OPTS'] ?? '').split(/\s+/).filter((flag) => flag.length > 0);
}

export function renderProperties(properties: Record<string, string>): string {
  return `${Object.entries(properties)
    .map(([key, value]) => `${key}=${escapeValue(value)}`)
    .join('\n')}\n`;
}

/**
 * Log4j 2 configuration: everything into one size-capped file in the data dir (so a
 * long-lived local broker does not fill the disk) and nothing on the console, which
 * would otherwise interleave with the tests' or the CLI's own output.
 */
export function renderLog4jConfig(logFile: string): string {
  return [
    'status = warn',
    'appender.file.type = RollingFile',
    'appender.file.name = file',
    `appender.file.fileName = ${escapeValue(logFile)}`,
    `appender.file.filePattern = ${escapeValue(logFile)}.%i`,
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'appender.file.policies.type = Policies',
    'appender.file.policies.size.type = SizeBasedTriggeringPolicy',
    'appender.file.policies.size.size = 10MB',
    'appender.file.strategy.type = DefaultRolloverStrategy',
    'appender.file.strategy.max = 3',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.file.ref = file',
    // Per-request and state-change chatter drowns the lines that explain a failure.
    'logger.request.name = kafka.request.logger',
    'logger.request.level = WARN',
    'logger.state.name = state.change.logger',
    'logger.state.level = WARN',
    '',
  ].join('\n');
}

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
const METADATA_TOPIC_UUID = 'AAAAAAAAAAAAAAAAAAAAAQ';

/**
 * A KRaft cluster id, made the way Kafka's `Uuid.randomUuid()` makes one (16 random
 * bytes, URL-safe base64 without padding, never the reserved ids, never starting with
 * '-' which command lines would read as an option). Doing it here saves starting a JVM
 * just for `kafka-storage random-uuid`.
 */
export function newClusterId(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (id !== ZERO_UUID && id !== METADATA_TOPIC_UUID && !id.startsWith('-')) return id;
  }
}
