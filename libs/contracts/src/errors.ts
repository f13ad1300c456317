/**
 * Every way a message can break the wire contract. A ContractError is never
 * retriable: the same bytes fail the same way on every attempt, so the stage
 * runtime dead-letters it at once with `code` in `conveyor-error-code`.
 */
export const ContractErrorCodes = [
  'MALFORMED_TENSOR',
  'UNSUPPORTED_DTYPE',
  'DTYPE_MISMATCH',
  'SHAPE_MISMATCH',
  'MISSING_TENSOR',
  'MISSING_METADATA',
  'MISSING_HEADER',
  'INVALID_HEADER',
  'UNSUPPORTED_MEDIA_TYPE',
  'MEDIA_TYPE_MISMATCH',
  'INVALID_RESULT',
  'INVALID_TOPIC',
  'INVALID_REQUEST_ID',
  'PAYLOAD_TOO_LARGE',
] as const;

export type ContractErrorCode = (typeof ContractErrorCodes)[number];

export class ContractError extends Error {
  override readonly name = 'ContractError';

  constructor(
    readonly code: ContractErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isContractError(error: unknown): error is ContractError {
  return error instanceof ContractError;
}

/** Quotes a value for an error message, shortened so a huge bad input cannot flood logs. */
export function quote(value: unknown, max = 80): string {
  let text: string;
  try {
    text = typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
}
