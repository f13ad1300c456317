import { ContractError } from '@conveyor/contracts';

/**
 * An error a stage raises on purpose. `retriable: false` means the input itself
 * is bad (undecodable image, wrong tensor shape): retrying cannot help, so the
 * message is dead-lettered at once. Anything else that escapes a handler is
 * treated as transient (Redis or Kafka hiccup, model session busy) and retried
 * with backoff before it is dead-lettered.
 */
export class StageError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retriable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StageError';
  }
}

export interface ClassifiedError {
  code: string;
  message: string;
  retriable: boolean;
}

export function classifyError(error: unknown): ClassifiedError {
  if (error instanceof StageError) return { code: error.code, message: error.message, retriable: error.retriable };
  if (error instanceof ContractError) return { code: error.code, message: error.message, retriable: false };
  if (error instanceof Error) return { code: 'INTERNAL', message: error.message || error.name, retriable: true };
  return { code: 'INTERNAL', message: String(error), retriable: true };
}
