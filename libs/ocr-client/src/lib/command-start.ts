import { collectImageFiles, oversizedFiles } from './image-files';
import { formatBytes, maxImageBytesFromEnv, PlatformUnreachableError } from './ocr-client';

/** Exit codes of `conveyor ocr`, so scripts can tell outcomes apart. */
export const OcrExitCode = {
  ok: 0,
  /** Some images failed or timed out; the others were read. */
  partialFailure: 1,
  usage: 2,
  /** Kafka or Redis could not be reached. */
  unreachable: 3,
} as const;

/**
 * The input limit (`maxImageBytes`, else MAX_IMAGE_BYTES, else 20 MiB), and
 * every file over it reported: nothing is sent when one is too large. Returns
 * the limit, or undefined after reporting a usage error.
 */
export async function checkImageSizes(command: string, files: readonly string[], maxImageBytes: number | undefined, err: (text: string) => void): Promise<number | undefined> {
  let limit: number;
  try {
    limit = maxImageBytes ?? maxImageBytesFromEnv();
  } catch (error) {
    err(`${command}: ${(error as Error).message}\n`);
    return undefined;
  }
  const oversized = await oversizedFiles(files, limit);
  for (const o of oversized) {
    err(`${command}: ${o.file} is ${formatBytes(o.bytes)}, over the input limit of ${formatBytes(limit)} (MAX_IMAGE_BYTES)\n`);
  }
  if (oversized.length > 0) {
    err(`${command}: nothing was sent; shrink or split ${oversized.length === 1 ? 'that image' : 'those images'}\n`);
    return undefined;
  }
  return limit;
}

/**
 * What `conveyor ocr` and `conveyor redact` do before their own work: collect
 * the image files, refuse any over the input limit, connect the client. Returns
 * the files and the client, or the exit code after reporting why not.
 */
export async function startImageCommand<C>(
  command: string,
  options: { paths: string[]; maxImageBytes?: number },
  connect: (maxImageBytes: number) => Promise<C>,
  err: (text: string) => void,
): Promise<{ files: string[]; client: C } | number> {
  let files: string[];
  try {
    files = await collectImageFiles(options.paths);
  } catch (error) {
    err(`${command}: ${(error as Error).message}\n`);
    return OcrExitCode.usage;
  }
  if (files.length === 0) {
    err(`${command}: no image files found\n`);
    return OcrExitCode.usage;
  }
  const maxImageBytes = await checkImageSizes(command, files, options.maxImageBytes, err);
  if (maxImageBytes === undefined) return OcrExitCode.usage;
  try {
    return { files, client: await connect(maxImageBytes) };
  } catch (error) {
    if (!(error instanceof PlatformUnreachableError)) throw error;
    err(`${command}: platform unreachable: ${error.message}\n  start it with \`npm start\` (or set KAFKA_BROKERS / REDIS_URL)\n`);
    return OcrExitCode.unreachable;
  }
}
