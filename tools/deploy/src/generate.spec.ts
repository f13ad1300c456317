import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  describeStaleness,
  findStale,
  isStale,
  loadContext,
  readKafkaVersion,
  renderAll,
  REPO_ROOT,
  writeAll,
} from './generate';
import { appRecords, GENERATED_MARKER } from './model';

/**
 * The committed files under compose*.yaml, docker/ and k8s/ that name a stage
 * are generated from pipelines/*\/pipeline.ts. This fails when a definition (or
 * the generator) changed and `npm run generate` was not run, listing the files.
 */
it('the committed generated deployment files match the pipeline definitions (else: npm run generate)', async () => {
  const stale = findStale(await renderAll(loadContext()));
  if (isStale(stale)) throw new Error(describeStaleness(stale));
});

it('writes YAML and JSON exactly as `npm run format` (the Prettier CLI) would leave them', async () => {
  const formatted = [...(await renderAll(loadContext())).keys()].filter((p) => /\.(ya?ml|json)$/.test(p));
  expect(formatted.length).toBeGreaterThan(10);
  // Throws, naming the files, when Prettier would change one.
  execFileSync(
    process.execPath,
    [join(REPO_ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--check', ...formatted],
    {
      cwd: REPO_ROOT,
      stdio: 'pipe',
    },
  );
});

it('reads the Kafka version the Kafka image is tagged with from tools/kafka/pom.xml', () => {
  expect(readKafkaVersion('<properties>\n  <kafka.version> 4.1.1 </kafka.version>\n</properties>')).toBe('4.1.1');
  expect(() => readKafkaVersion('<project/>')).toThrow(/no <kafka.version>/);
  expect(loadContext().kafkaVersion).toMatch(/^\d+\.\d+\.\d+$/);
});

it('gives every app that runs a stage an Nx `image` target building its image', () => {
  for (const { app } of appRecords(loadContext())) {
    const project = JSON.parse(readFileSync(join(REPO_ROOT, 'apps', app, 'project.json'), 'utf8')) as {
      targets: Record<string, { options?: { command?: string } }>;
    };
    expect([app, project.targets['image']?.options?.command]).toEqual([
      app,
      'tools/deploy/build-images.sh --images {projectName}',
    ]);
  }
});

describe('findStale and writeAll', () => {
  let root: string;
  const put = (path: string, content: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  const generated = (text: string) => `# ${GENERATED_MARKER}\n${text}\n`;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'conveyor-generate-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds changed, missing and orphaned files, then writeAll makes the tree match', () => {
    const files = new Map([
      ['compose.yaml', generated('services: {}')],
      ['k8s/base/demo-a/deployment.yaml', generated('kind: Deployment')],
      ['k8s/base/demo-b/deployment.yaml', generated('kind: Deployment')],
    ]);
    put('compose.yaml', generated('services: {old: 1}'));
    put('k8s/base/demo-a/deployment.yaml', generated('kind: Deployment'));
    // A stage that no pipeline has any more, fully generated, and a hand-written file beside generated ones.
    put('k8s/base/demo-gone/deployment.yaml', generated('kind: Deployment'));
    put('docker/old-generated.yml', generated('x: 1'));
    put('docker/hand-written.yml', 'x: 1\n');
    put('k8s/base/kafka-topics/kustomization.yaml', 'resources: []\n');

    const stale = findStale(files, root);
    expect(stale).toEqual({
      changed: ['compose.yaml'],
      missing: ['k8s/base/demo-b/deployment.yaml'],
      orphaned: ['docker/old-generated.yml', 'k8s/base/demo-gone/deployment.yaml', 'k8s/base/demo-gone/'],
    });
    expect(describeStaleness(stale)).toMatch(/changed: {2}compose\.yaml[\s\S]*Run `npm run generate`/);

    const done = writeAll(files, root);
    expect(done.written).toEqual(['k8s/base/demo-b/deployment.yaml', 'compose.yaml']);
    expect(done.removed).toEqual(['docker/old-generated.yml', 'k8s/base/demo-gone/deployment.yaml']);
    expect(existsSync(join(root, 'k8s/base/demo-gone'))).toBe(false);
    expect(readFileSync(join(root, 'docker/hand-written.yml'), 'utf8')).toBe('x: 1\n');
    expect(isStale(findStale(files, root))).toBe(false);
  });

  it('keeps a stale stage directory that holds hand-written files, and keeps reporting it', () => {
    put('k8s/base/preprocess/deployment.yaml', 'kind: Deployment\n');
    const files = new Map<string, string>();
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(writeAll(files, root).removed).toEqual([]);
      expect(stderr).toHaveBeenCalledWith(expect.stringContaining('k8s/base/preprocess/ is no stage of any pipeline'));
    } finally {
      stderr.mockRestore();
    }
    expect(findStale(files, root).orphaned).toEqual(['k8s/base/preprocess/']);
  });
});
