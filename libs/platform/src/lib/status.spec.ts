import { formatStatusTable } from './status';

describe('formatStatusTable', () => {
  it('aligns columns, names the pipeline and marks stages that do not answer "down"', () => {
    const table = formatStatusTable([
      { pipeline: 'ocr', stage: 'preprocess', ready: true, lag: 0, throughput: 12.345, healthUrl: 'http://127.0.0.1:8081' },
      { pipeline: 'ocr', stage: 'inference', ready: false, lag: 1234, throughput: 0, healthUrl: 'http://127.0.0.1:8083' },
      { pipeline: 'redact', stage: 'redact', ready: undefined, lag: 7, throughput: 1, healthUrl: 'http://127.0.0.1:8087' },
    ]);
    expect(table).toBe(
      [
        'PIPELINE  STAGE       READY   LAG  MSG/S  HEALTH',
        'ocr       preprocess  yes       0   12.3  http://127.0.0.1:8081',
        'ocr       inference   no     1234    0.0  http://127.0.0.1:8083',
        'redact    redact      down      7    1.0  http://127.0.0.1:8087',
        '',
      ].join('\n'),
    );
  });
});
