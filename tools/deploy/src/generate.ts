/**
 * Renders every deployment file that names a pipeline stage from the pipeline
 * definitions (pipelines/*\/pipeline.ts):
 *
 *   npm run generate              write them (and remove generated files no longer generated)
 *   npm run generate -- --check   change nothing; exit 1 listing the stale files
 *
 * The files it writes start with GENERATED_MARKER; everything else under
 * docker/ and k8s/ is hand-written and left alone.
 */
import {
  existsSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  unlinkSync,
  mkdirSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { appsOf } from '@conveyor/pipeline';
import { PIPELINES } from '@conveyor/pipelines';
import type { Options } from 'prettier';
import { format } from 'prettier/standalone';
import * as babel from 'prettier/plugins/babel';
import * as estree from 'prettier/plugins/estree';
import * as yamlPlugin from 'prettier/plugins/yaml';
import { renderCompose, renderComposeGpu } from './compose';
import { renderK8s } from './k8s';
import { renderImageList, renderStagesManifest } from './manifest';
import { gpuDockerfileOf, GENERATED_MARKER, stageRecords, type DeployContext } from './model';
import { renderDashboard, renderPrometheus } from './observability';
import { renderKafkaTopics, renderTopicList } from './topics';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const DASHBOARD_TEMPLATE = 'docker/grafana/conveyor-stages.template.json';

/** Where generated files may live: the orphan scan looks here (and only here) for the marker. */
const GENERATED_ROOTS = ['compose.yaml', 'compose.gpu.yaml', 'docker', 'k8s', 'tools/deploy/images.txt'];
/** Directories of k8s/base that are not a stage's. */
const K8S_BASE_SHARED_DIRS = new Set(['kafka-topics', 'autoscaling']);

/** The one pinned Apache Kafka of the project (libs/kafka-local runs it; the Kafka image is built from it). */
export const KAFKA_POM = 'tools/kafka/pom.xml';

/** `<kafka.version>` of tools/kafka/pom.xml. */
export function readKafkaVersion(pomXml: string): string {
  const version = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(pomXml)?.[1];
  if (!version) throw new Error(`${KAFKA_POM} has no <kafka.version>`);
  return version;
}

/** The context of this repository: its pipelines, version, GPU images and dashboard template. */
export function loadContext(root = REPO_ROOT): DeployContext {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string };
  if (!pkg.version) throw new Error('package.json has no version (the image tag of a release)');
  return {
    pipelines: PIPELINES,
    version: pkg.version,
    gpuApps: new Set(appsOf(PIPELINES).filter((app) => existsSync(join(root, gpuDockerfileOf(app))))),
    kafkaVersion: readKafkaVersion(readFileSync(join(root, KAFKA_POM), 'utf8')),
    dashboardTemplate: readFileSync(join(root, DASHBOARD_TEMPLATE), 'utf8'),
  };
}

/** Every generated file as rendered: repository-relative path → content. */
export function renderFiles(ctx: DeployContext): Map<string, string> {
  const files = new Map<string, string>([
    ['compose.yaml', renderCompose(ctx)],
    ['compose.gpu.yaml', renderComposeGpu(ctx)],
    ['docker/prometheus.yml', renderPrometheus(ctx)],
    ['docker/grafana/dashboards/conveyor-stages.json', renderDashboard(ctx)],
    ['docker/kafka/topics.txt', renderTopicList(ctx)],
    ['k8s/base/kafka-topics/topics.yaml', renderKafkaTopics(ctx)],
    ['k8s/stages.json', renderStagesManifest(ctx)],
    ['tools/deploy/images.txt', renderImageList(ctx)],
  ]);
  for (const [path, content] of Object.entries(renderK8s(ctx))) files.set(`k8s/${path}`, content);
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}

/** The repository's Prettier settings (.prettierrc, JSON), which `npm run format` applies. */
function prettierOptions(root: string): Options {
  const path = join(root, '.prettierrc');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Options) : {};
}

/**
 * A generated YAML or JSON file as the repository's Prettier settings write it,
 * so that `npm run format` leaves generated files as they are (and the
 * staleness test green). Prettier changes only the style (quotes, short JSON
 * arrays on one line), never a value. Prettier's standalone build with its
 * plugins given: the Node entry loads plugins by dynamic import, which Jest
 * cannot do without experimental flags.
 */
export async function formatGenerated(path: string, content: string, root = REPO_ROOT): Promise<string> {
  const parser = /\.ya?ml$/.test(path) ? 'yaml' : /\.json$/.test(path) ? 'json' : undefined;
  if (!parser) return content;
  return format(content, { ...prettierOptions(root), parser, filepath: path, plugins: [yamlPlugin, babel, estree] });
}

/** Every generated file, formatted: repository-relative path → content. */
export async function renderAll(ctx: DeployContext, root = REPO_ROOT): Promise<Map<string, string>> {
  const formatted = await Promise.all(
    [...renderFiles(ctx)].map(async ([path, content]) => [path, await formatGenerated(path, content, root)] as const),
  );
  return new Map(formatted);
}

function walk(root: string, path: string, out: string[]): void {
  const full = join(root, path);
  if (!existsSync(full)) return;
  if (statSync(full).isDirectory()) {
    for (const name of readdirSync(full).sort()) walk(root, path === '' ? name : `${path}/${name}`, out);
  } else {
    out.push(path);
  }
}

const isGenerated = (root: string, path: string) =>
  readFileSync(join(root, path), 'utf8').slice(0, 400).includes(GENERATED_MARKER);

export interface Staleness {
  /** Generated files whose committed content differs. */
  changed: string[];
  /** Generated files that do not exist. */
  missing: string[];
  /** Files that carry the marker but are no longer generated, and stage directories of k8s/base that no stage has. */
  orphaned: string[];
}

/** Compares what would be generated with what is in the repository, byte for byte. */
export function findStale(files: Map<string, string>, root = REPO_ROOT): Staleness {
  const result: Staleness = { changed: [], missing: [], orphaned: [] };
  for (const [path, content] of files) {
    const full = join(root, path);
    if (!existsSync(full)) result.missing.push(path);
    else if (!readFileSync(full).equals(Buffer.from(content, 'utf8'))) result.changed.push(path);
  }
  const present: string[] = [];
  for (const top of GENERATED_ROOTS) walk(root, top, present);
  for (const path of present) {
    if (!files.has(path) && isGenerated(root, path)) result.orphaned.push(path);
  }
  const base = join(root, 'k8s', 'base');
  if (existsSync(base)) {
    const stageDirs = new Set(
      [...files.keys()].filter((p) => /^k8s\/base\/[^/]+\/deployment\.yaml$/.test(p)).map((p) => p.split('/')[2]),
    );
    for (const name of readdirSync(base).sort()) {
      const path = `k8s/base/${name}`;
      if (statSync(join(base, name)).isDirectory() && !stageDirs.has(name) && !K8S_BASE_SHARED_DIRS.has(name)) {
        result.orphaned.push(`${path}/`);
      }
    }
  }
  return result;
}

export function isStale(s: Staleness): boolean {
  return s.changed.length + s.missing.length + s.orphaned.length > 0;
}

export function describeStaleness(s: Staleness): string {
  const lines = [
    ...s.changed.map((p) => `  changed:  ${p}`),
    ...s.missing.map((p) => `  missing:  ${p}`),
    ...s.orphaned.map((p) => `  orphaned: ${p} (no longer generated)`),
  ];
  return `generated deployment files are stale (pipelines/*/pipeline.ts or tools/deploy changed):\n${lines.join('\n')}\nRun \`npm run generate\` and commit the result.`;
}

/** Writes what changed and removes orphans (empty directories with them); returns what it did. */
export function writeAll(files: Map<string, string>, root = REPO_ROOT): { written: string[]; removed: string[] } {
  const stale = findStale(files, root);
  const written = [...stale.missing, ...stale.changed];
  for (const path of written) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), files.get(path) ?? '');
  }
  const removed: string[] = [];
  for (const path of stale.orphaned) {
    if (path.endsWith('/')) {
      // A stage directory of k8s/base: removed only when every file in it was generated.
      const inside: string[] = [];
      walk(root, path.slice(0, -1), inside);
      const handWritten = inside.filter((p) => !isGenerated(root, p));
      if (handWritten.length > 0) {
        process.stderr.write(
          `generate: ${path} is no stage of any pipeline, but holds hand-written files (${handWritten.join(', ')}): remove it yourself\n`,
        );
        continue;
      }
      inside.forEach((p) => unlinkSync(join(root, p)));
      removed.push(...inside);
    } else {
      unlinkSync(join(root, path));
      removed.push(path);
    }
    removeEmptyParents(root, path.replace(/\/$/, '/x'));
  }
  return { written, removed };
}

function removeEmptyParents(root: string, path: string): void {
  let dir = dirname(join(root, path));
  while (relative(root, dir) !== '' && existsSync(dir) && readdirSync(dir).length === 0) {
    rmdirSync(dir);
    dir = dirname(dir);
  }
}

async function main(argv: string[]): Promise<number> {
  const check = argv.includes('--check');
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    process.stderr.write(`generate: unknown argument(s) ${unknown.join(' ')} (usage: generate [--check])\n`);
    return 2;
  }
  const ctx = loadContext();
  const files = await renderAll(ctx);
  if (check) {
    const stale = findStale(files);
    if (isStale(stale)) {
      process.stderr.write(`${describeStaleness(stale)}\n`);
      return 1;
    }
    process.stdout.write(`generate: ${files.size} generated files are up to date\n`);
    return 0;
  }
  const { written, removed } = writeAll(files);
  for (const p of written) process.stdout.write(`wrote   ${p}\n`);
  for (const p of removed) process.stdout.write(`removed ${p}\n`);
  const stages = stageRecords(ctx).length;
  process.stdout.write(
    `generate: ${files.size} files for ${ctx.pipelines.length} pipelines, ${stages} stages (${written.length} written, ${removed.length} removed)\n`,
  );
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`generate: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
