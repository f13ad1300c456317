import { existsSync } from 'node:fs';
import path from 'node:path';

/** Where the Maven descriptor of the pinned Kafka lives, relative to the workspace root. */
export const KAFKA_POM_RELATIVE_PATH = path.join('tools', 'kafka', 'pom.xml');

/**
 * The monorepo root: the nearest folder above `from` holding tools/kafka/pom.xml.
 * Walking up (rather than trusting cwd) keeps it right for the CLI, Jest, and the
 * compiled copy under dist/.
 */
export function findWorkspaceRoot(from: string = __dirname): string {
  let dir = path.resolve(from);
  for (;;) {
    if (existsSync(path.join(dir, KAFKA_POM_RELATIVE_PATH))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`Cannot find the workspace root (a folder with ${KAFKA_POM_RELATIVE_PATH}) above ${from}`);
    }
    dir = parent;
  }
}
