import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { StorageFormatError } from './errors';

export interface FormatStorageInput {
  java: string;
  classPath: string;
  propertiesFile: string;
  log4jConfigFile: string;
  logDir: string;
  clusterId: string;
  env?: Record<string, string | undefined>;
}

/** A KRaft log dir is usable once the formatter has written its meta.properties. */
export function isStorageFormatted(logDir: string): boolean {
  return existsSync(path.join(logDir, 'meta.properties'));
}

/**
 * Formats the KRaft log dir unless it already is (a persistent data dir keeps its
 * cluster id, topics and offsets across runs). `--standalone` makes this node the
 * single voter of a dynamic quorum (KIP-853), which Kafka 4.x expects together with
 * `controller.quorum.bootstrap.servers`.
 */
export async function formatStorageIfNeeded(input: FormatStorageInput): Promise<boolean> {
  if (isStorageFormatted(input.logDir)) return false;
  const args = [
    // A short-lived tool: C1 only starts it about a third faster.
    '-XX:TieredStopAtLevel=1',
    `-Dlog4j2.configurationFile=${input.log4jConfigFile}`,
    '-cp',
    input.classPath,
    'kafka.tools.StorageTool',
    'format',
    '--standalone',
    '--cluster-id',
    input.clusterId,
    '--config',
    input.propertiesFile,
  ];
  await new Promise<void>((resolve, reject) => {
    execFile(input.java, args, { env: input.env ?? process.env, timeout: 120_000 }, (error, stdout, stderr) => {
      if (!error) return resolve();
      const output = `${stdout}\n${stderr}`.trim();
      reject(new StorageFormatError(`Formatting Kafka storage in ${input.logDir} failed (${error.message.split('\n')[0]}):\n${output}`));
    });
  });
  return true;
}
