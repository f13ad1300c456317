import { formatStatusTable, formatVersionsTable, type StageStatus } from './status';
import type { VersionGroup } from './version-groups';

/** A row with the per-process fields this table does not show. */
function row(fields: Omit<StageStatus, 'partitions' | 'processes' | 'versionGroups' | 'groupMembers'> & Partial<StageStatus>): StageStatus {
  return { partitions: 0, processes: [], versionGroups: [], groupMembers: [], ...fields };
}

describe('formatStatusTable', () => {
  it('aligns columns, names the pipeline and versions, and marks stages that do not answer "down"', () => {
    const sha = (c: string) => c.repeat(64);
    const table = formatStatusTable([
      row({ pipeline: 'ocr', stage: 'preprocess', ready: true, lag: 0, throughput: 12.345, versions: { stage: 'preprocess', version: '0.1.0', configHash: '0123456789ab', models: [] }, healthUrl: 'http://127.0.0.1:8081' }),
      row({
        pipeline: 'ocr',
        stage: 'features',
        ready: false,
        lag: 1234,
        throughput: 0,
        versions: { stage: 'features', version: '0.2.0-rc.1', configHash: 'ba9876543210', models: [{ name: 'det.onnx', sha256: sha('a') }, { name: 'cls.onnx', sha256: sha('b') }] },
        healthUrl: 'http://127.0.0.1:8083',
      }),
      row({ pipeline: 'redact', stage: 'redact', ready: undefined, lag: 7, throughput: 1, versions: undefined, healthUrl: 'http://127.0.0.1:8087' }),
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

describe('formatVersionsTable', () => {
  it('puts the versions of a stage side by side: replicas, partitions of the topic, consumed, errors, latency; * marks a canary', () => {
    const group = (fields: Partial<VersionGroup>): VersionGroup => ({
      key: 'k',
      version: '0.1.0',
      configHash: 'a'.repeat(64),
      models: [],
      replicas: 1,
      processes: [],
      canary: false,
      partitions: [],
      consumed: 0,
      errors: 0,
      errorRate: null,
      retries: 0,
      latency: { mean: null, p50: null, p95: null },
      ...fields,
    });
    const table = formatVersionsTable([
      row({
        pipeline: 'ocr',
        stage: 'preprocess',
        ready: true,
        lag: 0,
        throughput: 0,
        versions: undefined,
        healthUrl: 'http://127.0.0.1:8081',
        partitions: 4,
        versionGroups: [
          group({ replicas: 2, processes: ['ocr-preprocess', 'ocr-preprocess-2'], partitions: [0, 1, 2], consumed: 300, errors: 3, errorRate: 0.01, retries: 4, latency: { mean: 0.0421, p50: 0.035, p95: 0.09 } }),
          group({ configHash: 'b'.repeat(64), processes: ['ocr-preprocess-canary'], canary: true, partitions: [3], consumed: 100, errorRate: 0, latency: { mean: 1.5, p50: 1.25, p95: 2.4 } }),
        ],
      }),
      row({ pipeline: 'ocr', stage: 'features', ready: undefined, lag: 0, throughput: 0, versions: undefined, healthUrl: '', versionGroups: [group({ key: '?', version: undefined, configHash: undefined, models: undefined, processes: ['ocr-features'] })] }),
    ]);
    expect(table).toBe(
      [
        'PIPELINE  STAGE       VERSION  CONFIG        MODELS  REPLICAS  PARTITIONS  CONSUMED  ERRORS  ERR%  RETRIES   MEAN    P50    P95  PROCESSES',
        'ocr       preprocess  0.1.0    aaaaaaaaaaaa  -              2  0-2 of 4         300       3  1.0%        4   42ms   35ms   90ms  ocr-preprocess,ocr-preprocess-2',
        'ocr       preprocess  0.1.0*   bbbbbbbbbbbb  -              1  3 of 4           100       0  0.0%        0  1.50s  1.25s  2.40s  ocr-preprocess-canary',
        'ocr       features    ?        ?             ?              1  -                  0       0     -        0      -      -      -  ocr-features',
        '',
      ].join('\n'),
    );
  });
});
