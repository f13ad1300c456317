import { decodeImage } from './image-io';
import { OcrEngine, type OcrResult } from './engine';
import { batchLineInputs, toRecInput } from './rec-input';
import { renderTextPng } from './render-text.test-support';

// Real models, real rendered images. One engine (three sessions, one thread each) for the file.
const LINES = ['Hello Conveyor 2026', 'The quick brown fox jumps'];

const texts = (result: OcrResult) => result.lines.map((l) => l.text);
const centreY = (box: [number, number][]) => box.reduce((sum, p) => sum + p[1], 0) / 4;

describe('OcrEngine (real models)', () => {
  let engine: OcrEngine;
  let upright: Buffer;
  let upsideDown: Buffer;

  beforeAll(async () => {
    engine = await OcrEngine.create({ intraOpThreads: 1 });
    upright = await renderTextPng(LINES);
    upsideDown = await renderTextPng(LINES, { rotate: 180 });
  }, 30_000);

  afterAll(async () => {
    await engine?.close();
  });

  it('runs on the CPU provider here', () => {
    expect(engine.providers).toEqual({ detection: 'cpu', classification: 'cpu', recognition: 'cpu' });
  });

  it('reads rendered text exactly, spaces included, top line first', async () => {
    const result = await engine.read(upright);
    expect(texts(result)).toEqual(LINES);
    expect(result.pageAngle).toBe(0);
    for (const line of result.lines) expect(line.confidence).toBeGreaterThan(0.8);
    expect(centreY(result.lines[0].box)).toBeLessThan(centreY(result.lines[1].box));
    expect(result.timings.total).toBeGreaterThan(0);
  });

  it('reads the page turned by 180° as the same lines in the same order', async () => {
    const result = await engine.read(upsideDown);
    expect(texts(result)).toEqual(LINES);
    expect(result.pageAngle).toBe(180);
    // The first line read sits at the bottom of the turned image; boxes stay in image coordinates.
    expect(centreY(result.lines[0].box)).toBeGreaterThan(centreY(result.lines[1].box));
  });

  it('gives the same text when the stages run separately (det + cls, then rec, then decode)', async () => {
    const image = await decodeImage(upright);
    const detected = await engine.detectLines(image);
    expect(detected.lines).toHaveLength(2);
    expect(detected.lines.every((l) => l.angle === 0)).toBe(true);
    const batch = batchLineInputs(detected.lines.map((l) => toRecInput(l.crop)));
    const output = await engine.recognizeBatch(batch);
    expect(output.shape.slice(0, 1)).toEqual([2]);
    expect(engine.decode(output).map((r) => r.text)).toEqual(LINES);
  });

  it('gives the same text with width-bucketed batches', async () => {
    const { lines } = await engine.detectLines(await decodeImage(upright));
    const batched = await engine.recognizeCrops(
      lines.map((l) => l.crop),
      { batchSize: 8 },
    );
    expect(batched.map((r) => r.text)).toEqual(LINES);
  });

  it('finds nothing on a blank page', async () => {
    const blank = { width: 320, height: 96, channels: 3, data: new Uint8Array(320 * 96 * 3).fill(255) };
    const result = await engine.read(blank);
    expect(result.lines).toEqual([]);
  });

  it('rejects bytes that are no image', async () => {
    await expect(engine.read(new TextEncoder().encode('not an image'))).rejects.toThrow();
  });
});
