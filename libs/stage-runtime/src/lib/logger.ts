import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

/** The structured logger every stage uses (pino's signature: fields first, message second). */
export type StageLogger = Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;

export function createStageLogger(service: string, level: string): Logger {
  return pino({
    level,
    base: { service },
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
