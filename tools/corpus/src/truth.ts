// Ground truth of a corpus as written to truth.json and read back by
// benchmarks and end-to-end tests: the schema is the contract, so reading
// validates instead of trusting the file.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const TRUTH_VERSION = 1;

export const truthItemSchema = z.object({
  /** Unique within the corpus; also a good request id. */
  id: z.string().min(1),
  /** File name relative to the directory of truth.json. */
  file: z.string().min(1),
  format: z.enum(['png', 'jpeg']),
  /** Text lines in reading order of the upright page (top to bottom), exactly as rendered. */
  lines: z.array(z.string().min(1)).min(1),
  /** The image is the upright page turned by 180°. */
  rotated180: z.boolean(),
  /** Pixel noise (grain) was added. */
  noise: z.boolean(),
  font: z.string().min(1),
  fontSize: z.number().int().positive(),
  /** Pixel size of the image file (the same before and after a 180° turn). */
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});

export const corpusTruthSchema = z.object({
  version: z.literal(TRUTH_VERSION),
  seed: z.number().int().nonnegative(),
  settings: z.object({
    rotatedShare: z.number().min(0).max(1),
    noiseShare: z.number().min(0).max(1),
    formats: z.array(z.enum(['png', 'jpeg'])).min(1),
    maxWidth: z.number().int().positive(),
    fonts: z.array(z.string().min(1)).min(1),
  }),
  items: z.array(truthItemSchema),
});

export type TruthItem = z.infer<typeof truthItemSchema>;
export type CorpusTruth = z.infer<typeof corpusTruthSchema>;

/** Parses and validates truth.json content; the error names the offending field. */
export function parseTruth(json: string, source = 'truth.json'): CorpusTruth {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(`${source} is not JSON: ${(err as Error).message}`);
  }
  const parsed = corpusTruthSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${source} is not a corpus truth file: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  const ids = new Set<string>();
  for (const item of parsed.data.items) {
    if (ids.has(item.id)) throw new Error(`${source} has duplicate item id ${item.id}`);
    ids.add(item.id);
  }
  return parsed.data;
}

/** Reads and validates a truth.json file. */
export function readTruth(path: string): CorpusTruth {
  return parseTruth(readFileSync(path, 'utf8'), path);
}
