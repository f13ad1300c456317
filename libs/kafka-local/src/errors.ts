/**
 * Every failure of the launcher is one of these, each with a stable `code`, so callers
 * (CLI, Jest setup) can react to the cause without parsing messages.
 */
export type KafkaLocalErrorCode =
  | 'INVALID_OPTIONS'
  | 'JAVA_NOT_FOUND'
  | 'MAVEN_NOT_FOUND'
  | 'KAFKA_FETCH_FAILED'
  | 'PORT_IN_USE'
  | 'STORAGE_FORMAT_FAILED'
  | 'BROKER_START_FAILED'
  | 'BROKER_STOP_FAILED';

export class KafkaLocalError extends Error {
  constructor(
    readonly code: KafkaLocalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class InvalidKafkaOptionsError extends KafkaLocalError {
  constructor(message: string) {
    super('INVALID_OPTIONS', message);
  }
}

export class JavaNotFoundError extends KafkaLocalError {
  constructor(detail: string) {
    super(
      'JAVA_NOT_FOUND',
      `Java not found: ${detail}. Apache Kafka 4.x needs Java 17 or newer: install a JDK/JRE and put \`java\` on PATH, or set JAVA_HOME to its home directory.`,
    );
  }
}

export class MavenNotFoundError extends KafkaLocalError {
  constructor(detail: string) {
    super(
      'MAVEN_NOT_FOUND',
      `Maven not found: ${detail}. Maven (\`mvn\`) fetches the pinned Apache Kafka jars once; install it, or set KAFKA_BROKERS to use a broker you run yourself.`,
    );
  }
}

export class KafkaFetchError extends KafkaLocalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('KAFKA_FETCH_FAILED', message, options);
  }
}

export class PortInUseError extends KafkaLocalError {
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(
      'PORT_IN_USE',
      `Port ${port} on ${host} is already in use, so Kafka cannot listen there. Stop whatever holds it (a broker from an earlier run?), pick another port, or set KAFKA_BROKERS to reuse a running broker.`,
    );
  }
}

export class StorageFormatError extends KafkaLocalError {
  constructor(message: string) {
    super('STORAGE_FORMAT_FAILED', message);
  }
}

export class BrokerStartError extends KafkaLocalError {
  constructor(
    message: string,
    readonly logTail: string,
  ) {
    super('BROKER_START_FAILED', logTail ? `${message}\n--- broker log tail ---\n${logTail}` : message);
  }
}

export class BrokerStopError extends KafkaLocalError {
  constructor(message: string) {
    super('BROKER_STOP_FAILED', message);
  }
}
