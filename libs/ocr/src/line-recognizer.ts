import { assertDictionaryFits, ctcGreedyDecodeBatch, type Recognition } from './ctc';
import { createSession, loadDictionaryFile, resolveOcrModelPaths, runSession, type ModelSession, type SessionOptions } from './models';
import type { FloatTensor } from './types';

export interface LineRecognizerOptions extends SessionOptions {
  readonly modelDir?: string;
}

/** Text recognition (the rec model) with its dictionary: what the inference stage runs. */
export class LineRecognizer {
  private constructor(
    private readonly recognition: ModelSession,
    readonly dictionary: readonly string[],
  ) {}

  static async create(options: LineRecognizerOptions = {}): Promise<LineRecognizer> {
    const paths = resolveOcrModelPaths(options.modelDir);
    return new LineRecognizer(await createSession(paths.recognition, options), loadDictionaryFile(paths.dictionary));
  }

  get provider(): string {
    return this.recognition.provider;
  }

  /** Runs the recogniser on a [N, 3, 48, W] batch and returns its [N, T, C] probabilities. */
  async recognize(batch: FloatTensor): Promise<FloatTensor> {
    const output = await runSession(this.recognition, batch);
    assertDictionaryFits(this.dictionary, output.shape[2]);
    return output;
  }

  /** CTC-decodes a recogniser output with this recogniser's dictionary. */
  decode(output: FloatTensor): Recognition[] {
    return ctcGreedyDecodeBatch(output, this.dictionary);
  }

  async close(): Promise<void> {
    await this.recognition.session.release();
  }
}
