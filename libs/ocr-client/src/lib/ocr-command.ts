import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { OcrResult } from '@conveyor/pipelines';
import { SingleBar, Presets } from 'cli-progress';
import { annotateImage } from './annotate';
import { OcrExitCode, startImageCommand } from './command-start';
import { contentTypeForFile } from './image-files';
import { OcrClient, TopicRefusedImageError, type OcrClientOptions } from './ocr-client';


export interface OcrCommandOptions extends OcrClientOptions {
  paths: string[];
  json: boolean;
  annotateDir?: string;
  timeoutMs: number;
  /** Show a progress bar (on stderr) — by default when stderr is a terminal and there are several files. */
  progress?: boolean;
  out?: (text: string) => void;
  err?: (text: string) => void;
}

interface Outcome {
  file: string;
  /** Absent when Kafka refused the image. */
  id?: string;
  result?: OcrResult;
  /** Why the image was not sent. */
  notSent?: string;
}


/** `conveyor ocr <files or folders…>`: publish, wait, print; returns the exit code. */
export async function runOcrCommand(options: OcrCommandOptions): Promise<number> {
  const out = options.out ?? ((t: string) => process.stdout.write(t));
  const err = options.err ?? ((t: string) => process.stderr.write(t));
  const started = await startImageCommand('conveyor ocr', options, (maxImageBytes) => OcrClient.connect({ ...options, maxImageBytes }), err);
  if (typeof started === 'number') return started;
  const { files, client } = started;

  const showProgress = options.progress ?? (files.length > 1 && Boolean(process.stderr.isTTY));
  const bar = showProgress
    ? new SingleBar({ format: 'OCR |{bar}| {value}/{total} images | {phase}', stream: process.stderr, hideCursor: true }, Presets.shades_classic)
    : undefined;
  const outcomes: Outcome[] = [];
  try {
    bar?.start(files.length * 2, 0, { phase: 'publishing' });
    for (const file of files) {
      const bytes = await readFile(file);
      const contentType = contentTypeForFile(file) ?? 'application/octet-stream';
      try {
        const { id } = await client.submit(bytes, contentType);
        outcomes.push({ file, id });
      } catch (error) {
        if (!(error instanceof TopicRefusedImageError)) throw error;
        outcomes.push({ file, notSent: error.message });
        bar?.increment(1, { phase: 'publishing' }); // no result will come for it either
      }
      bar?.increment(1, { phase: 'publishing' });
    }
    bar?.update({ phase: 'waiting for results' });
    const results = await client.waitForResults(
      outcomes.flatMap((o) => (o.id ? [o.id] : [])),
      { timeoutMs: options.timeoutMs, onResult: () => bar?.increment(1, { phase: 'waiting for results' }) },
    );
    for (const outcome of outcomes) outcome.result = outcome.id ? results.get(outcome.id) : undefined;
  } finally {
    bar?.stop();
    await client.close();
  }

  if (options.annotateDir) {
    await mkdir(options.annotateDir, { recursive: true });
    for (const o of outcomes) {
      if (o.result?.status !== 'ok') continue;
      const name = `${basename(o.file, extname(o.file))}.annotated.png`;
      await writeFile(join(options.annotateDir, name), await annotateImage(await readFile(o.file), o.result));
    }
  }

  if (options.json) {
    const rows = outcomes.map((o) => ({ file: o.file, ...(o.result ?? (o.notSent ? { status: 'not-sent', error: o.notSent } : { id: o.id, status: 'timeout' })) }));
    out(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    for (const o of outcomes) out(formatOutcome(o, outcomes.length > 1));
  }
  const failed = outcomes.filter((o) => o.result?.status !== 'ok').length;
  if (failed > 0) err(`conveyor ocr: ${failed} of ${outcomes.length} images failed or timed out\n`);
  return failed === 0 ? OcrExitCode.ok : OcrExitCode.partialFailure;
}

function formatOutcome(o: Outcome, withHeader: boolean): string {
  const header = withHeader ? `==> ${o.file} <==\n` : '';
  if (o.notSent) return `${header}(not sent: ${o.notSent})\n${withHeader ? '\n' : ''}`;
  if (!o.result) return `${header}(no result: timed out, request id ${o.id})\n${withHeader ? '\n' : ''}`;
  if (o.result.status === 'failed') {
    return `${header}(failed in ${o.result.error.stage}: ${o.result.error.code}: ${o.result.error.message})\n${withHeader ? '\n' : ''}`;
  }
  const text = o.result.lines.map((l) => l.text).join('\n');
  return `${header}${text}${text ? '\n' : ''}${withHeader ? '\n' : ''}`;
}
