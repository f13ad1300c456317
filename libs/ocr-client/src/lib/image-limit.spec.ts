import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ocrStageConfig } from '@conveyor/ocr-pipeline';
import { ocrPipeline, redactPipeline } from '@conveyor/pipelines';
import { DEFAULT_MAX_IMAGE_BYTES, ImageTooLargeError, maxImageBytesFromEnv } from './ocr-client';
import { OcrExitCode } from './command-start';
import { runOcrCommand } from './ocr-command';
import { runRedactCommand } from './redact-command';

describe('the input image limit', () => {
  it('is the preprocess stage\'s MAX_IMAGE_BYTES default, and the input topics take it plus 64 KiB', () => {
    expect(ocrStageConfig.MAX_IMAGE_BYTES.parse(undefined)).toBe(DEFAULT_MAX_IMAGE_BYTES);
    for (const pipeline of [ocrPipeline, redactPipeline]) {
      expect(pipeline.topics[pipeline.input.topic].config?.['max.message.bytes']).toBe(String(DEFAULT_MAX_IMAGE_BYTES + 64 * 1024));
    }
  });

  it.each([
    [{}, DEFAULT_MAX_IMAGE_BYTES],
    [{ MAX_IMAGE_BYTES: '' }, DEFAULT_MAX_IMAGE_BYTES],
    [{ MAX_IMAGE_BYTES: '1048576' }, 1048576],
    [{ MAX_IMAGE_BYTES: ' 5000 ' }, 5000],
  ])('reads MAX_IMAGE_BYTES from %j', (env, expected) => {
    expect(maxImageBytesFromEnv(env)).toBe(expected);
  });

  it.each(['0', '-1', '1.5', '20MiB', 'lots'])('refuses MAX_IMAGE_BYTES=%s', (value) => {
    expect(() => maxImageBytesFromEnv({ MAX_IMAGE_BYTES: value })).toThrow(/MAX_IMAGE_BYTES must be a positive integer/);
  });

  it('names both sizes', () => {
    expect(new ImageTooLargeError(25 * 1024 * 1024, DEFAULT_MAX_IMAGE_BYTES).message).toBe(
      'the image is 25.0 MiB (26214400 bytes), over the input limit of 20.0 MiB (20971520 bytes) (MAX_IMAGE_BYTES)',
    );
  });
});

describe('conveyor ocr / redact refuse images over the limit before sending anything', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'conveyor-limit-'));
    // 21 MiB, sparse: over the default limit without writing 21 MiB.
    const fd = openSync(join(dir, 'huge.png'), 'w');
    ftruncateSync(fd, 21 * 1024 * 1024);
    closeSync(fd);
    writeFileSync(join(dir, 'small.png'), Buffer.alloc(100));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Nothing listens on these: a command that tried to connect would answer "unreachable" (3), not "usage" (2).
  const nowhere = { brokers: ['127.0.0.1:1'], redisUrl: 'redis://127.0.0.1:1', json: false, timeoutMs: 1_000 };

  it('conveyor ocr: exit 2, every oversized file named with its size and the limit', async () => {
    const errors: string[] = [];
    const code = await runOcrCommand({ ...nowhere, paths: [dir], progress: false, out: () => undefined, err: (t) => errors.push(t) });
    expect(code).toBe(OcrExitCode.usage);
    expect(errors.join('')).toBe(
      `conveyor ocr: ${join(dir, 'huge.png')} is 21.0 MiB (22020096 bytes), over the input limit of 20.0 MiB (20971520 bytes) (MAX_IMAGE_BYTES)\n` +
        'conveyor ocr: nothing was sent; shrink or split that image\n',
    );
  });

  it('conveyor redact: the same, with a limit given explicitly', async () => {
    const errors: string[] = [];
    const code = await runRedactCommand({ ...nowhere, paths: [dir], outDir: join(dir, 'out'), maxImageBytes: 50, out: () => undefined, err: (t) => errors.push(t) });
    expect(code).toBe(OcrExitCode.usage);
    expect(errors).toEqual([
      expect.stringMatching(/huge\.png is 21\.0 MiB .* over the input limit of 0\.0 KiB \(50 bytes\)/),
      expect.stringMatching(/small\.png is 0\.1 KiB \(100 bytes\), over the input limit/),
      'conveyor redact: nothing was sent; shrink or split those images\n',
    ]);
  });

  it('files within the limit go on to connecting (here: unreachable)', async () => {
    const errors: string[] = [];
    const code = await runOcrCommand({ ...nowhere, paths: [join(dir, 'small.png')], progress: false, out: () => undefined, err: (t) => errors.push(t), connectTimeoutMs: 1_000 });
    expect(code).toBe(OcrExitCode.unreachable);
  });
});
