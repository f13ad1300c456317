// The two in-process readers: the peer (@gutenye/ocr-node) and our engine
// (@conveyor/ocr). Each worker owns its own sessions with one intra-op
// thread, the same setting the pipeline's model stages run with, so the
// comparison is between designs rather than thread counts.
import type { CorpusItem } from '@conveyor/corpus';
import { OcrEngine } from '@conveyor/ocr';
import Ocr from '@gutenye/ocr-node';
import { runPool } from './pool';

/** Reads one encoded image and returns its lines in reading order. */
export type ReadLines = (image: Buffer) => Promise<string[]>;

export interface InProcessReader {
  read: ReadLines;
  close(): Promise<void>;
}

export async function createPeerReader(): Promise<InProcessReader> {
  const ocr = await Ocr.create({ onnxOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } });
  return {
    read: async (image) => (await ocr.detect(image)).map((line) => line.text),
    // The peer has no close(); its sessions go with the process.
    close: async () => undefined,
  };
}

export async function createEngineReader(): Promise<InProcessReader> {
  const engine = await OcrEngine.create({ intraOpThreads: 1 });
  return {
    read: async (image) => (await engine.read(image)).lines.map((line) => line.text),
    close: () => engine.close(),
  };
}

export interface InProcessRun {
  predictions: Map<string, string[]>;
  seconds: number;
}

/**
 * Creates `concurrency` readers, warms each up on `warmUp` (untimed: the first
 * runs of an ONNX session allocate), then times one pass over `items`.
 */
export async function measureInProcess(
  create: () => Promise<InProcessReader>,
  items: readonly CorpusItem[],
  warmUp: readonly CorpusItem[],
  concurrency: number,
): Promise<InProcessRun> {
  const readers: InProcessReader[] = [];
  try {
    for (let i = 0; i < concurrency; i++) readers.push(await create());
    for (const reader of readers) for (const item of warmUp) await reader.read(item.data);
    const started = performance.now();
    const lines = await runPool(items, readers, (reader, item) => reader.read(item.data));
    const seconds = (performance.now() - started) / 1000;
    return { predictions: new Map(items.map((item, i) => [item.truth.id, lines[i]])), seconds };
  } finally {
    await Promise.all(readers.map((r) => r.close()));
  }
}
