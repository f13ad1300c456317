import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { RedactResult } from '@conveyor/pipelines';
import { OcrExitCode, startImageCommand } from './command-start';
import { contentTypeForFile } from './image-files';
import { RedactClient, TopicRefusedImageError, type OcrClientOptions } from './ocr-client';

export interface RedactCommandOptions extends OcrClientOptions {
  paths: string[];
  /** Where the redacted PNGs are written (`<name>.redacted.png`). */
  outDir: string;
  json: boolean;
  timeoutMs: number;
  out?: (text: string) => void;
  err?: (text: string) => void;
}

interface Outcome {
  file: string;
  /** Absent when Kafka refused the image. */
  id?: string;
  /** Why the image was not sent. */
  notSent?: string;
  result?: RedactResult;
  written?: string;
}

/**
 * `conveyor redact <files or folders…> --out <dir>`: publishes each image to
 * the redaction pipeline, waits for the results and writes each redacted PNG
 * (fetched from Redis by the key its result names). Same exit codes as
 * `conveyor ocr`.
 */
export async function runRedactCommand(options: RedactCommandOptions): Promise<number> {
  const out = options.out ?? ((t: string) => process.stdout.write(t));
  const err = options.err ?? ((t: string) => process.stderr.write(t));
  const started = await startImageCommand('conveyor redact', options, (maxImageBytes) => RedactClient.connect({ ...options, maxImageBytes }), err);
  if (typeof started === 'number') return started;
  const { files, client } = started;
  const outcomes: Outcome[] = [];
  try {
    for (const file of files) {
      try {
        const { id } = await client.submit(await readFile(file), contentTypeForFile(file) ?? 'application/octet-stream');
        outcomes.push({ file, id });
      } catch (error) {
        if (!(error instanceof TopicRefusedImageError)) throw error;
        outcomes.push({ file, notSent: error.message });
      }
    }
    const results = await client.waitForResults(outcomes.flatMap((o) => (o.id ? [o.id] : [])), { timeoutMs: options.timeoutMs });
    await mkdir(options.outDir, { recursive: true });
    for (const o of outcomes) {
      o.result = o.id ? results.get(o.id) : undefined;
      if (o.result?.status !== 'ok') continue;
      const png = await client.blob(o.result.image.redisKey);
      if (!png) {
        err(`conveyor redact: the redacted image of ${o.file} has expired from Redis (${o.result.image.redisKey})\n`);
        continue;
      }
      o.written = join(options.outDir, `${basename(o.file, extname(o.file))}.redacted.png`);
      await writeFile(o.written, png);
    }
  } finally {
    await client.close();
  }
  if (options.json) {
    out(`${JSON.stringify(outcomes.map((o) => ({ file: o.file, written: o.written, ...(o.result ?? (o.notSent ? { status: 'not-sent', error: o.notSent } : { id: o.id, status: 'timeout' })) })), null, 2)}\n`);
  } else {
    for (const o of outcomes) out(`${formatOutcome(o)}\n`);
  }
  const failed = outcomes.filter((o) => !o.written).length;
  if (failed > 0) err(`conveyor redact: ${failed} of ${outcomes.length} images failed or timed out\n`);
  return failed === 0 ? OcrExitCode.ok : OcrExitCode.partialFailure;
}

function formatOutcome(o: Outcome): string {
  if (o.notSent) return `${o.file}: not sent: ${o.notSent}`;
  if (!o.result) return `${o.file}: no result (timed out, request id ${o.id})`;
  if (o.result.status === 'failed') return `${o.file}: failed in ${o.result.error.stage}: ${o.result.error.code}: ${o.result.error.message}`;
  return `${o.file}: ${o.result.regions.length} text regions redacted -> ${o.written ?? '(image expired)'}`;
}
