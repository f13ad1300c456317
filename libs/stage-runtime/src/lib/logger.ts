import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

/** The structured logger every stage uses (pino's signature: fields first, message second). */
export type StageLogger = Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;

export interface StageLoggerOptions {
  /** Fields added to every line, e.g. the current trace and request ids (pino's mixin). */
  mixin?: () => object;
}

export function createStageLogger(service: string, level: string, options: StageLoggerOptions = {}): Logger {
  return pino({
    level,
    base: { service },
    ...(options.mixin ? { mixin: options.mixin } : {}),
    // Never log payloads: image and tensor bytes have no place in logs.
    redact: { paths: ['value', '*.value', 'data', '*.data'], censor: '[binary omitted]' },
  });
}

/** Routes Nest's own log lines into the same JSON stream. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
