import { formatStatusTable } from './status';

describe('formatStatusTable', () => {
  it('aligns columns, names the pipeline and versions, and marks stages that do not answer "down"', () => {
    const sha = (c: string) => c.repeat(64);
    const table = formatStatusTable([
      { pipeline: 'ocr', stage: 'preprocess', ready: true, lag: 0, throughput: 12.345, versions: { stage: 'preprocess', version: '0.1.0', configHash: '0123456789ab', models: [] }, healthUrl: 'http://127.0.0.1:8081' },
      {
        pipeline: 'ocr',
        stage: 'features',
        ready: false,
        lag: 1234,
        throughput: 0,
        versions: { stage: 'features', version: '0.2.0-rc.1', configHash: 'ba9876543210', models: [{ name: 'det.onnx', sha256: sha('a') }, { name: 'cls.onnx', sha256: sha('b') }] },
        healthUrl: 'http://127.0.0.1:8083',
      },
      { pipeline: 'redact', stage: 'redact', ready: undefined, lag: 7, throughput: 1, versions: undefined, healthUrl: 'http://127.0.0.1:8087' },
    ]);
    expect(table).toBe(
      [
        'PIPELINE  STAGE       READY   LAG  MSG/S  VERSION     CONFIG        MODELS                                       HEALTH',
        'ocr       preprocess  yes       0   12.3  0.1.0       0123456789ab  -                                            http://127.0.0.1:8081',
        'ocr       features    no     1234    0.0  0.2.0-rc.1  ba9876543210  det.onnx@aaaaaaaaaaaa,cls.onnx@bbbbbbbbbbbb  http://127.0.0.1:8083',
        'redact    redact      down      7    1.0  ?           ?             ?                                            http://127.0.0.1:8087',
        '',
      ].join('\n'),
    );
  });
});
