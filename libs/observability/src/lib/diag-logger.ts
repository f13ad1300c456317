import type { DiagLogger } from '@opentelemetry/api';

/** What observability logs through: pino's `(fields, message)` signature; a pino Logger fits. */
export interface TelemetryLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  debug?(fields: Record<string, unknown>, message: string): void;
}

/** JSON lines on stderr in pino's shape, for when no logger is given. */
export const stderrTelemetryLogger: TelemetryLogger = {
  info: (fields, msg) => process.stderr.write(`${JSON.stringify({ level: 30, time: Date.now(), ...fields, msg })}\n`),
  warn: (fields, msg) => process.stderr.write(`${JSON.stringify({ level: 40, time: Date.now(), ...fields, msg })}\n`),
};

/**
 * The SDK's error handler hands errors over as JSON strings with their stack;
 * a log line needs the message and code only.
 */
function summarize(message: string): { text: string; code?: string } {
  if (!message.startsWith('{')) return { text: message };
  try {
    const parsed = JSON.parse(message) as { message?: unknown; code?: unknown };
    if (typeof parsed.message !== 'string') return { text: message };
    return { text: parsed.message, ...(typeof parsed.code === 'string' ? { code: parsed.code } : {}) };
  } catch {
    return { text: message };
  }
}

function describe(arg: unknown): string {
  if (arg instanceof Error) return arg.message;
  if (typeof arg === 'string') return arg;
  try {
    return JSON.stringify(arg) ?? String(arg);
  } catch {
    return String(arg);
  }
}

/**
 * The OTel SDK's diagnostics, routed into the stage's log. While the
 * collector is down the exporter reports a failure on every batch (every few
 * seconds, per retry): one warning per interval is enough to say so, with the
 * number of messages swallowed since the last one. Info and below go to
 * `debug` when the logger has it (only reached when OTEL_LOG_LEVEL asks).
 */
export class RateLimitedDiagLogger implements DiagLogger {
  private lastWarnAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(
    private readonly logger: TelemetryLogger,
    private readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  error = (message: string, ...args: unknown[]): void => this.rateLimited('error', message, args);
  warn = (message: string, ...args: unknown[]): void => this.rateLimited('warn', message, args);
  info = (message: string, ...args: unknown[]): void => this.detail('info', message, args);
  debug = (message: string, ...args: unknown[]): void => this.detail('debug', message, args);
  verbose = (message: string, ...args: unknown[]): void => this.detail('verbose', message, args);

  private rateLimited(level: string, message: string, args: unknown[]): void {
    const now = this.now();
    if (now - this.lastWarnAt < this.intervalMs) {
      this.suppressed += 1;
      return;
    }
    this.lastWarnAt = now;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    const { text, code } = summarize(message);
    this.logger.warn(
      { otel: { level, ...(code ? { code } : {}), detail: args.map(describe).join(' ') || undefined, suppressedSinceLast: suppressed } },
      `opentelemetry: ${text}`,
    );
  }

  private detail(level: string, message: string, args: unknown[]): void {
    this.logger.debug?.({ otel: { level, detail: args.map(describe).join(' ') || undefined } }, `opentelemetry: ${message}`);
  }
}
