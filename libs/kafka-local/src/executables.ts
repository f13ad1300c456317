import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { JavaNotFoundError, MavenNotFoundError } from './errors';

type Env = Record<string, string | undefined>;

/** True for an existing regular file this process may execute. */
export function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first executable called `name` on a PATH-style list, or undefined. */
export function findOnPath(name: string, pathValue: string | undefined): string | undefined {
  for (const dir of (pathValue ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The `java` to run Kafka with. JAVA_HOME wins when set, and a JAVA_HOME without a
 * `bin/java` is an error rather than a silent fall-back to PATH: whoever set it meant
 * that JDK, and running another one would hide the mistake.
 */
export function resolveJava(env: Env = process.env): string {
  const javaHome = env['JAVA_HOME'];
  if (javaHome) {
    const candidate = path.join(javaHome, 'bin', 'java');
    if (isExecutableFile(candidate)) return candidate;
    throw new JavaNotFoundError(`JAVA_HOME is set to "${javaHome}" but ${candidate} is not an executable file`);
  }
  const onPath = findOnPath('java', env['PATH']);
  if (onPath) return onPath;
  throw new JavaNotFoundError(`JAVA_HOME is not set and there is no \`java\` on PATH (${env['PATH'] ?? '<unset>'})`);
}

/** The `mvn` that fetches the Kafka jars (only needed while the jar cache is empty). */
export function resolveMaven(env: Env = process.env): string {
  const onPath = findOnPath('mvn', env['PATH']);
  if (onPath) return onPath;
  throw new MavenNotFoundError(`there is no \`mvn\` on PATH (${env['PATH'] ?? '<unset>'})`);
}
