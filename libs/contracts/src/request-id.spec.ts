import { expectContractError } from './expect-contract-error.test-support';
import { assertValidRequestId, isValidRequestId, requestIdProblem } from './request-id';

describe('request ids', () => {
  it.each<[unknown, string | undefined]>([
    ['6e8bc430-9c3a-11d9-9669-0800200c9a66', undefined],
    ['a', undefined],
    ['!~', undefined],
    ['x'.repeat(256), undefined],
    ['x'.repeat(257), 'must be at most 256 chars long, not 257'],
    ['', 'must not be empty'],
    [' a', 'must be visible ASCII without spaces (character 0 is not)'],
    ['a\tb', 'must be visible ASCII without spaces (character 1 is not)'],
    ['añ', 'must be visible ASCII without spaces (character 1 is not)'],
    [42, 'must be a string (got number)'],
  ])('%j: %s', (id, problem) => {
    expect(requestIdProblem(id)).toBe(problem);
    expect(isValidRequestId(id)).toBe(problem === undefined);
  });

  it('assertValidRequestId names where the id came from', () => {
    expect(assertValidRequestId('ok')).toBe('ok');
    expectContractError(
      () => assertValidRequestId('', 'message key'),
      'INVALID_REQUEST_ID',
      'message key must not be empty (got "")',
    );
  });
});
