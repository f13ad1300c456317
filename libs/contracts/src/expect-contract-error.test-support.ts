import { ContractError, type ContractErrorCode } from './errors';

/** Asserts that `fn` throws a ContractError with exactly `code` and `message` (or a message matching it). */
export function expectContractError(fn: () => unknown, code: ContractErrorCode, message: string | RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ContractError);
  expect({ code: (thrown as ContractError).code, message: (thrown as ContractError).message }).toEqual({
    code,
    message: typeof message === 'string' ? message : expect.stringMatching(message),
  });
}
