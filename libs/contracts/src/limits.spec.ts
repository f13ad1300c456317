import { expectContractError } from './expect-contract-error.test-support';
import { assertPayloadSize, KAFKA_DEFAULT_MAX_MESSAGE_BYTES } from './limits';

describe('assertPayloadSize', () => {
  it.each([0, 1, KAFKA_DEFAULT_MAX_MESSAGE_BYTES])('accepts %d bytes under a 1 MiB limit', (size) => {
    expect(() => assertPayloadSize(size, KAFKA_DEFAULT_MAX_MESSAGE_BYTES, 'value')).not.toThrow();
  });

  it('names the payload, its size and the limit', () => {
    expectContractError(
      () => assertPayloadSize(1_048_577, KAFKA_DEFAULT_MAX_MESSAGE_BYTES, 'value for ocr.regions'),
      'PAYLOAD_TOO_LARGE',
      'value for ocr.regions is 1048577 bytes, over the limit of 1048576 bytes by 1',
    );
  });
});
