/**
 * The rendered deployment files, checked without a cluster or a container engine:
 *
 * - every object of every kustomize rendering (k8s/base, the dev, gpu and prod
 *   overlays, and prod with both components as k8s/README.md combines them)
 *   against the Kubernetes API schemas and the CRD schemas of KEDA (ScaledObject)
 *   and Strimzi (KafkaTopic): tools/deploy/src/k8s-schemas.mjs, with the
 *   kubernetes-models packages;
 * - Conveyor's own rules (invariants.ts): probes, securityContext, PDB,
 *   NetworkPolicy, one name per stage, topics and autoscaling from the pipeline
 *   definitions; the compose files, the stage Dockerfiles and the observability
 *   files likewise;
 * - and that each rule bites, on broken copies.
 *
 * Rendering needs kustomize: `kubectl kustomize` (or a `kustomize` binary). Where
 * neither is installed, the overlays cannot be built; the schemas and rules then
 * run on the generator's own base objects (every full object under k8s/base),
 * and the test says so on stderr.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadContext, renderAll, REPO_ROOT } from './generate';
import {
  checkCompose,
  checkComposeSource,
  checkK8s,
  checkObservability,
  checkStageDockerfiles,
  loadCompose,
  parseObjects,
  type Manifest,
  type Trait,
} from './invariants';
import { renderStagesManifest } from './manifest';
import { appRecords, GPU_DOCKERFILE, STAGE_DOCKERFILE } from './model';
import { build, kustomize, schemaErrors, validateSchemas, type Obj } from './kustomize.test-support';

const ctx = loadContext();
const manifest = JSON.parse(renderStagesManifest(ctx)) as Manifest;

/** The renderings to check, with the traits their rules expect. */
interface Rendering {
  label: string;
  traits: Set<Trait>;
  objects: Obj[];
}
const renderings: Rendering[] = [];
let comboDir = '';

beforeAll(() => {
  if (!kustomize) {
    process.stderr.write(
      'manifests.spec: neither kubectl nor kustomize is installed: checking the base objects as generated, not the overlays\n',
    );
    return;
  }
  for (const [label, traits] of [
    ['base', ['base']],
    ['overlays/dev', ['dev']],
    ['overlays/gpu', ['gpu']],
    ['overlays/prod', ['prod']],
  ] as const) {
    renderings.push({ label, traits: new Set(traits), objects: build(join(REPO_ROOT, 'k8s', label)) });
  }
  // The components as k8s/README.md tells users to combine them, with the CUDA tags of the GPU apps.
  // kustomize wants relative paths, so the throwaway overlay points back into the repository.
  comboDir = mkdtempSync(join(tmpdir(), 'conveyor-kustomize-'));
  const k8s = relative(comboDir, join(REPO_ROOT, 'k8s'));
  const gpuApps = appRecords(ctx).filter((a) => a.gpuDockerfile);
  writeFileSync(
    join(comboDir, 'kustomization.yaml'),
    [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      `resources:\n  - ${k8s}/overlays/prod`,
      `components:\n  - ${k8s}/components/gpu-inference\n  - ${k8s}/components/hpa-cpu`,
      `images:\n${gpuApps.map((a) => `  - name: ${a.image}\n    newTag: "${ctx.version}-cuda"`).join('\n')}`,
      '',
    ].join('\n'),
  );
  renderings.push({
    label: 'overlays/prod + components gpu-inference, hpa-cpu',
    traits: new Set(['prod', 'gpu', 'hpa']),
    objects: build(comboDir),
  });
}, 60_000);

afterAll(() => {
  if (comboDir) rmSync(comboDir, { recursive: true, force: true });
});

/**
 * Without kustomize: the full objects the generator writes under k8s/base (not kustomizations, not
 * patches), with what the base kustomization adds done by hand: the namespace and the image tags.
 */
async function generatedBaseObjects(): Promise<Obj[]> {
  const files = await renderAll(ctx);
  const handWritten = ['k8s/base/namespace.yaml', 'k8s/base/common-config.yaml'].map((p) =>
    readFileSync(join(REPO_ROOT, p), 'utf8'),
  );
  const kustomization = parseObjects(files.get('k8s/base/kustomization.yaml') ?? '')[0] ?? {};
  const tags = new Map(
    ((kustomization['images'] ?? []) as Array<{ name: string; newTag: string }>).map((i) => [
      i.name,
      `${i.name}:${i.newTag}`,
    ]),
  );
  const objects = [...files]
    .filter(([path]) => path.startsWith('k8s/base/') && path.endsWith('.yaml') && !path.endsWith('kustomization.yaml'))
    .map(([, text]) => text)
    .concat(handWritten)
    .flatMap(parseObjects)
    .map((o) =>
      o['kind'] === 'Namespace' ? o : { ...o, metadata: { ...(o['metadata'] as Obj), namespace: manifest.namespace } },
    );
  for (const o of objects) {
    const containers = (
      (o['spec'] as Obj | undefined)?.['template'] as { spec?: { containers?: Array<{ image: string }> } } | undefined
    )?.spec?.containers;
    for (const c of containers ?? []) c.image = tags.get(c.image) ?? c.image;
  }
  return objects;
}

describe('Kubernetes and CRD schemas (kubernetes-models, @kubernetes-models/keda, @kubernetes-models/strimzi-kafka-operator)', () => {
  it('accepts every object of every rendering', async () => {
    const targets =
      renderings.length > 0 ? renderings : [{ label: 'k8s/base as generated', objects: await generatedBaseObjects() }];
    // One validator process for all of them: loading the schemas is the slow part.
    const results = await validateSchemas(targets.flatMap((t) => t.objects));
    expect(results).toHaveLength(targets.reduce((n, t) => n + t.objects.length, 0));
    let at = 0;
    for (const { label, objects } of targets) {
      const mine = results.slice(at, (at += objects.length));
      expect({ label, errors: schemaErrors(mine) }).toEqual({ label, errors: [] });
      // Each kind the platform renders is really checked, the CRDs included.
      const kinds = new Set(mine.map((r) => r.kind));
      for (const kind of ['Deployment', 'Service', 'ConfigMap', 'PodDisruptionBudget', 'NetworkPolicy', 'KafkaTopic']) {
        expect([label, kind, kinds.has(kind)]).toEqual([label, kind, true]);
      }
    }
  }, 60_000);

  it('rejects what a cluster would reject, CRDs included, and objects it has no schema for', async () => {
    const results = await validateSchemas([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd' },
        spec: {
          selector: { matchLabels: { a: 'b' } },
          template: { spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: '8080' }] }] } },
        },
      },
      { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 's' }, spec: { triggers: [] } },
      {
        apiVersion: 'kafka.strimzi.io/v1beta2',
        kind: 'KafkaTopic',
        metadata: { name: 't' },
        spec: { partitions: 'six', replicas: 1 },
      },
      { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'p' }, spec: { maxUnavailable: 1 } },
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } },
      { apiVersion: 'v1', kind: 'Nonsense', metadata: { name: 'n' } },
    ]);
    const byName = Object.fromEntries(results.map((r) => [r.name, r.errors.join('; ')]));
    expect(byName['d']).toMatch(/containerPort must be integer/);
    expect(byName['s']).toMatch(/\/spec must have required property scaleTargetRef/);
    expect(byName['t']).toMatch(/partitions must be integer/);
    expect(byName['p']).toBe('');
    expect(byName['w']).toMatch(/no schema for apiVersion example.com\/v1/);
    expect(byName['n']).toMatch(/no schema for kind Nonsense/);
  });
});

describe("Conveyor's rules for the rendered manifests", () => {
  it('hold in every rendering', async () => {
    if (renderings.length === 0) {
      expect(checkK8s(await generatedBaseObjects(), manifest, new Set(['base']))).toEqual([]);
      return;
    }
    for (const { label, traits, objects } of renderings) {
      expect({ label, problems: checkK8s(objects, manifest, traits) }).toEqual({ label, problems: [] });
    }
  });

  // The base rendering, broken one way at a time: each rule names what broke.
  const broken = async (edit: (objects: Obj[]) => void, traits: Trait[] = ['base']) => {
    const objects = structuredClone(
      renderings.find((r) => r.label === 'base')?.objects ?? (await generatedBaseObjects()),
    );
    edit(objects);
    return checkK8s(objects, manifest, new Set(traits));
  };
  const find = (objects: Obj[], kind: string, name: string) => {
    const found = objects.find((o) => o['kind'] === kind && (o['metadata'] as Obj)['name'] === name);
    if (!found) throw new Error(`no ${kind}/${name}`);
    return found as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const stage = manifest.stages[0].service;
  const container = (objects: Obj[]) => find(objects, 'Deployment', stage)['spec'].template.spec.containers[0];

  it.each([
    [
      'a writable root filesystem',
      (o: Obj[]) => (container(o).securityContext.readOnlyRootFilesystem = false),
      /securityContext is not hardened/,
    ],
    [
      'a readiness probe on the wrong path',
      (o: Obj[]) => (container(o).readinessProbe.httpGet.path = '/health'),
      /readinessProbe must GET \/health\/ready/,
    ],
    ['no memory limit', (o: Obj[]) => delete container(o).resources.limits.memory, /resources.limits.memory missing/],
    [
      'a root pod',
      (o: Obj[]) => (find(o, 'Deployment', stage)['spec'].template.spec.securityContext.runAsUser = 0),
      /non-root uid 10001/,
    ],
    [
      'a PDB with both bounds',
      (o: Obj[]) => (find(o, 'PodDisruptionBudget', stage)['spec'].minAvailable = 1),
      /exactly one of minAvailable/,
    ],
    [
      'a NetworkPolicy without Redis',
      (o: Obj[]) => {
        const np = find(o, 'NetworkPolicy', stage)['spec'];
        for (const rule of np.egress) rule.ports = (rule.ports ?? []).filter((p: { port: number }) => p.port !== 6379);
      },
      /egress to port 6379 is not allowed/,
    ],
    [
      'a Service named otherwise',
      (o: Obj[]) => (find(o, 'Service', stage)['metadata'].name = `${stage}-svc`),
      /Services: found .* expected one per stage/,
    ],
    [
      'a stage environment that lost a setting',
      (o: Obj[]) => delete find(o, 'ConfigMap', stage)['data'].STAGE,
      /STAGE must be/,
    ],
    [
      'a grace period shorter than the drain',
      (o: Obj[]) => (find(o, 'Deployment', stage)['spec'].template.spec.terminationGracePeriodSeconds = 30),
      /terminationGracePeriodSeconds 30 must exceed/,
    ],
    [
      'a missing topic',
      (o: Obj[]) =>
        o.splice(
          o.findIndex((x) => x['kind'] === 'KafkaTopic'),
          1,
        ),
      /KafkaTopics: missing/,
    ],
  ])('names %s', async (_what, edit, problem) => {
    expect((await broken(edit)).join('\n')).toMatch(problem);
  });
});

describe('compose files', () => {
  const files = ['compose.yaml', 'compose.gpu.yaml'].map((f) => readFileSync(join(REPO_ROOT, f), 'utf8'));

  it('hold the rules on CPU and with compose.gpu.yaml', () => {
    expect(checkCompose(loadCompose(files.slice(0, 1)), manifest, new Set())).toEqual([]);
    expect(checkCompose(loadCompose(files), manifest, new Set(['gpu']))).toEqual([]);
  });

  it('are written the way podman-compose 1.0.3 reads them right', () => {
    expect(checkComposeSource('compose.yaml', files[0])).toEqual([]);
    expect(checkComposeSource('compose.gpu.yaml', files[1])).toEqual([]);
    expect(
      checkComposeSource(
        'x.yaml',
        'services:\n  a:\n    environment: {A: "${A:-}"}\n    healthcheck: {test: [CMD, node, -e, "fetch(1)"]}\n',
      ),
    ).toEqual([
      'x.yaml: ${A:-}: podman-compose 1.0.3 passes a `:-` with an empty default on literally; write ${NAME} instead',
      'x.yaml a: healthcheck words ["fetch(1)"] need shell quoting, which podman-compose 1.0.3 breaks: use a script (docker/healthcheck.js) and plain arguments',
    ]);
  });

  it('names a writable, root, wrongly built stage', () => {
    const doc = loadCompose(files.slice(0, 1));
    const service = (doc['services'] as Record<string, Record<string, unknown>>)[stage0()];
    service['read_only'] = false;
    service['user'] = '0:0';
    service['build'] = { context: '.', dockerfile: 'docker/other.Dockerfile' };
    expect(checkCompose(doc, manifest, new Set())).toEqual([
      `compose ${stage0()}: read_only: true is required`,
      `compose ${stage0()}: user must be 10001, got "0:0"`,
      `compose ${stage0()}: builds from "docker/other.Dockerfile", expected "${STAGE_DOCKERFILE}"`,
      `compose ${stage0()}: build argument APP must be its app ${manifest.stages[0].app}, got undefined`,
    ]);
  });
});
const stage0 = () => manifest.stages[0].service;

describe('stage Dockerfiles', () => {
  it(`${STAGE_DOCKERFILE} and ${GPU_DOCKERFILE} hold the rules and share their npm ci stages`, () => {
    expect(checkStageDockerfiles(REPO_ROOT, manifest)).toEqual([]);
  });

  it('docker/stage.gpu-offline.Dockerfile shares the deps, runtime-deps and build stages, and checks its libraries', () => {
    const section = (file: string, end: string) => {
      const text = readFileSync(join(REPO_ROOT, file), 'utf8');
      return text.slice(text.indexOf('# ---- deps:'), text.indexOf(end));
    };
    const offline = readFileSync(join(REPO_ROOT, 'docker/stage.gpu-offline.Dockerfile'), 'utf8');
    expect(section('docker/stage.gpu-offline.Dockerfile', '# ---- cuda-jars:')).toBe(
      section(STAGE_DOCKERFILE, '# ---- release:'),
    );
    expect(offline).toContain('USER 10001:10001');
    expect(offline).toContain('CMD ["node", "dist/main.js"]');
    expect(offline).toMatch(/ldd "\$lib"/);
    // The provider's ONNX Runtime release is the Node binding's: one version, in the Dockerfile and the pom.
    const version = /^ARG ORT_VERSION=(\S+)$/m.exec(offline)?.[1];
    expect(readFileSync(join(REPO_ROOT, 'docker/gpu/pom.xml'), 'utf8')).toContain(
      `<onnxruntime.version>${version}</onnxruntime.version>`,
    );
  });

  it('names a Dockerfile whose shared stages drifted or that runs as root', () => {
    const root = mkdtempSync(join(tmpdir(), 'conveyor-dockerfiles-'));
    try {
      mkdirSync(join(root, 'docker'));
      cpSync(join(REPO_ROOT, GPU_DOCKERFILE), join(root, GPU_DOCKERFILE));
      const text = readFileSync(join(REPO_ROOT, STAGE_DOCKERFILE), 'utf8');
      writeFileSync(
        join(root, STAGE_DOCKERFILE),
        text.replace('RUN npm ci --no-audit --no-fund', 'RUN npm install').replace('USER 10001:10001', 'USER root'),
      );
      expect(checkStageDockerfiles(root, manifest)).toEqual([
        `${STAGE_DOCKERFILE}: missing line: USER 10001:10001`,
        `${GPU_DOCKERFILE}: deps/runtime-deps stages differ from ${STAGE_DOCKERFILE}: the images would no longer share the cached \`npm ci\` layers`,
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('observability files', () => {
  it('scrape every stage, and the dashboard offers every pipeline and stage', () => {
    expect(checkObservability(join(REPO_ROOT, 'docker'), manifest)).toEqual([]);
  });
});
