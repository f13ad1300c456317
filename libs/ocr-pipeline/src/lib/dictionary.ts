import { loadDictionaryFile, resolveOcrModelPaths } from '@conveyor/ocr';

/** The recogniser's class table (dictionary + PaddleOCR's appended space). */
export class OcrDictionary {
  constructor(readonly classes: readonly string[]) {}

  static load(modelDir?: string): OcrDictionary {
    return new OcrDictionary(loadDictionaryFile(resolveOcrModelPaths(modelDir).dictionary));
  }
}
