import { formatStatusTable } from './status';

describe('formatStatusTable', () => {
  it('aligns columns and names stages that do not answer "down"', () => {
    const table = formatStatusTable([
      { stage: 'preprocess', ready: true, lag: 0, throughput: 12.345, healthUrl: 'http://127.0.0.1:8081' },
      { stage: 'inference', ready: false, lag: 1234, throughput: 0, healthUrl: 'http://127.0.0.1:8083' },
      { stage: 'postprocess', ready: undefined, lag: 7, throughput: 1, healthUrl: 'http://127.0.0.1:8084' },
    ]);
    expect(table).toBe(
      [
        'STAGE        READY   LAG  MSG/S  HEALTH',
        'preprocess   yes       0   12.3  http://127.0.0.1:8081',
        'inference    no     1234    0.0  http://127.0.0.1:8083',
        'postprocess  down      7    1.0  http://127.0.0.1:8084',
        '',
      ].join('\n'),
    );
  });
});
