import { collectImageFiles } from './image-files';
import { PlatformUnreachableError } from './ocr-client';
import { checkImageSizes, OcrExitCode } from './ocr-command';

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
