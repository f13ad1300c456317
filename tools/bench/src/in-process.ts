// The in-process readers: the peer (@gutenye/ocr-node), our engine
// (@conveyor/ocr) and tesseract.js. Each instance owns its own sessions with one
// intra-op thread, the same setting the pipeline's model stages run with, so
// the comparison is between designs rather than thread counts. The benchmark
// runs each instance in a worker process of its own (worker-pool.ts).
import { dirname, join } from 'node:path';
import { OcrEngine } from '@conveyor/ocr';

/** Reads one encoded image and returns its lines in reading order. */
export type ReadLines = (image: Buffer) => Promise<string[]>;

export interface InProcessReader {
  read: ReadLines;
  close(): Promise<void>;
}

export const IN_PROCESS_READERS = ['peer', 'engine', 'tesseract'] as const;
export type InProcessReaderName = (typeof IN_PROCESS_READERS)[number];

export async function createPeerReader(): Promise<InProcessReader> {
  // Loaded lazily: a worker process only pays for the reader it runs.
  const { default: Ocr } = await import('@gutenye/ocr-node');
  const ocr = await Ocr.create({ onnxOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } });
  return {
    read: async (image) => (await ocr.detect(image)).map((line) => line.text),
    // The peer has no close(); its sessions go with the process.
    close: async () => undefined,
  };
}

/**
 * The engine as a stage would configure it: ORT_EXECUTION_PROVIDERS (default cpu) and REC_BATCH_SIZE
 * (default 1) from the environment, so tools/bench/gpu.sh can put the in-process engine on the GPU too.
 */
export function engineOptionsFromEnv(env: Record<string, string | undefined> = process.env): { executionProviders: string[]; recBatchSize: number } {
  const providers = (env['ORT_EXECUTION_PROVIDERS'] ?? 'cpu').split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  const batch = Number(env['REC_BATCH_SIZE'] ?? '1');
  return { executionProviders: providers.length > 0 ? providers : ['cpu'], recBatchSize: Number.isInteger(batch) && batch >= 1 ? batch : 1 };
}

export async function createEngineReader(): Promise<InProcessReader> {
  const engine = await OcrEngine.create({ intraOpThreads: 1, ...engineOptionsFromEnv() });
  return {
    read: async (image) => (await engine.read(image)).lines.map((line) => line.text),
    close: () => engine.close(),
  };
}

/**
 * Where @tesseract.js-data/eng keeps the LSTM-only ("best_int") English model,
 * so tesseract.js reads it from node_modules instead of downloading it.
 */
export function tesseractLangPath(): string {
  return join(dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int');
}

/** Tesseract's text as lines: one per text line it found, blank lines dropped. */
export function tesseractLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

export async function createTesseractReader(): Promise<InProcessReader> {
  const { createWorker, OEM } = await import('tesseract.js');
  // One tesseract.js worker (a worker thread running the WASM build, single-threaded), LSTM engine only,
  // English from the npm package; cacheMethod 'none' keeps it from writing eng.traineddata into the cwd.
  const worker = await createWorker('eng', OEM.LSTM_ONLY, { langPath: tesseractLangPath(), gzip: true, cacheMethod: 'none' });
  // The rendered pages carry no resolution; say what tesseract would assume anyway (70 dpi) instead of a warning per page.
  await worker.setParameters({ user_defined_dpi: '70' });
  return {
    read: async (image) => tesseractLines((await worker.recognize(image)).data.text),
    close: async () => {
      await worker.terminate();
    },
  };
}

export const READER_FACTORIES: Readonly<Record<InProcessReaderName, () => Promise<InProcessReader>>> = {
  peer: createPeerReader,
  engine: createEngineReader,
  tesseract: createTesseractReader,
};
