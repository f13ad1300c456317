// Rendering kustomizations and checking their objects against the Kubernetes,
// KEDA and Strimzi schemas, for the tests of the generated manifests and of
// the rollout examples in docs/ (canary, shadow).
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseObjects } from './invariants';
import { REPO_ROOT } from './generate';

function which(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
export const kustomize: string[] | undefined = which('kustomize')
  ? ['kustomize', 'build']
  : which('kubectl')
    ? ['kubectl', 'kustomize']
    : undefined;

export type Obj = Record<string, unknown>;

export function build(dir: string): Obj[] {
  if (!kustomize) throw new Error('no kustomize');
  const [command, ...args] = kustomize;
  return parseObjects(execFileSync(command, [...args, dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
}

export interface SchemaResult {
  apiVersion: string;
  kind: string;
  name: string;
  errors: string[];
}

/** Runs k8s-schemas.mjs (ES modules, which Jest's CommonJS runtime cannot load) on the objects. */
export function validateSchemas(objects: readonly Obj[]): Promise<SchemaResult[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [join(__dirname, 'k8s-schemas.mjs')],
      { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`k8s-schemas.mjs failed: ${stderr || error.message}`));
        else resolve(JSON.parse(stdout) as SchemaResult[]);
      },
    );
    child.stdin?.end(JSON.stringify(objects));
  });
}
export const schemaErrors = (results: readonly SchemaResult[]) =>
  results.flatMap((r) => r.errors.map((e) => `${r.kind}/${r.name}: ${e}`));

