/**
 * Conveyor's own rules for its rendered deployment files, beyond what the
 * Kubernetes and CRD schemas say (k8s-schemas.mjs): the stage services'
 * contracts (HTTP port and probes, shutdown, hardening, topics and consumer
 * groups from the pipeline definitions), what a typo or a careless patch would
 * break without any tool noticing. Each check returns the problems it found, one
 * string each (`<where>: <what>`); invariants.spec.ts runs them on every
 * kustomize overlay, the compose files, the Dockerfiles and the observability
 * files, and on broken copies to prove each rule bites.
 *
 * The stages, apps and topics to expect are those of the pipeline definitions,
 * in the shape of k8s/stages.json (renderStagesManifest).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export interface ManifestStage {
  pipeline: string;
  stage: string;
  service: string;
  app: string;
  image: string;
  group: string;
  input: string;
  outputs: string[];
  gpu: 'none' | 'optional' | 'required';
  batches: boolean;
  env: Record<string, string>;
  gpuEnv: Record<string, string> | null;
}

export interface Manifest {
  namespace: string;
  httpPort: number;
  uid: number;
  shutdownGraceMs: number;
  version: string;
  pipelines: string[];
  apps: Array<{ app: string; image: string; dockerfile: string; gpuDockerfile: string | null }>;
  stages: ManifestStage[];
  topics: Array<{
    topic: string;
    pipeline: string;
    deadLetter: boolean;
    partitions: number | null;
    config: Record<string, string>;
  }>;
}

/** The ConfigMap every stage reads besides its own (k8s/base/common-config.yaml). */
export const SHARED_CONFIGMAP = 'conveyor-common';

/** Overlay traits: which rendering is checked (base, dev, gpu, prod, hpa). */
export type Trait = 'base' | 'dev' | 'gpu' | 'prod' | 'hpa';

// The rendered files are untyped YAML: these walk them without trusting their shape.
type Json = unknown;
type Obj = Record<string, Json>;
const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const asObj = (v: Json): Obj => (isObj(v) ? v : {});
const asList = (v: Json): Json[] => (Array.isArray(v) ? v : []);
/** dig(o, 'a', 0, 'b'): o.a[0].b, or undefined where the path breaks. */
export function dig(value: Json, ...path: Array<string | number>): Json {
  let at: Json = value;
  for (const key of path) {
    if (typeof key === 'number' && Array.isArray(at)) at = at[key];
    else if (typeof key === 'string' && isObj(at)) at = at[key];
    else return undefined;
  }
  return at;
}
const str = (v: Json): string => (v === undefined || v === null ? '' : String(v));
const show = (v: Json): string => JSON.stringify(v) ?? 'undefined';
const sameSet = (a: Iterable<string>, b: Iterable<string>) => {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
};
const millis = (v: Json): number | undefined => (/^\d+$/.test(str(v)) ? Number(str(v)) : undefined);

/** Parses a multi-document YAML stream (kubectl kustomize output) into its objects. */
export function parseObjects(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Json)
    .filter(isObj);
}

class Problems {
  readonly list: string[] = [];
  add(where: string, what: string): void {
    this.list.push(`${where}: ${what}`);
  }
}

function onGpu(record: ManifestStage, expect: ReadonlySet<Trait>): boolean {
  return record.gpu === 'required' || (record.gpu === 'optional' && expect.has('gpu'));
}

function checkStageEnv(p: Problems, where: string, record: ManifestStage, env: Obj, expect: ReadonlySet<Trait>): void {
  // The definition's environment reaches the process (its GPU variant may override some of it).
  const overrides = onGpu(record, expect) ? (record.gpuEnv ?? {}) : {};
  for (const [key, value] of Object.entries(record.env)) {
    const want = overrides[key] ?? value;
    if (str(env[key]) !== String(want)) {
      p.add(
        where,
        `${key} must be ${show(want)} (pipeline ${record.pipeline}, stage ${record.stage}), got ${show(env[key])}`,
      );
    }
  }
}

// ---------------------------------------------------------------- Kubernetes

/** The rendered objects of one kustomize build against the stages, topics and the overlay's traits. */
export function checkK8s(objects: readonly Obj[], manifest: Manifest, expect: ReadonlySet<Trait>): string[] {
  const p = new Problems();
  const stages = new Map(manifest.stages.map((s) => [s.service, s]));
  const byKind = new Map<string, Map<string, Obj>>();
  for (const o of objects) {
    const kind = str(o['kind']);
    const name = str(dig(o, 'metadata', 'name'));
    if (!byKind.has(kind)) byKind.set(kind, new Map());
    if (byKind.get(kind)?.has(name)) p.add(`${kind}/${name}`, 'rendered twice');
    byKind.get(kind)?.set(name, o);
    const ns = dig(o, 'metadata', 'namespace');
    if (kind !== 'Namespace' && ns !== manifest.namespace) {
      p.add(`${kind}/${name}`, `namespace is ${show(ns)}, expected ${show(manifest.namespace)}`);
    }
  }
  const kind = (k: string) => byKind.get(k) ?? new Map<string, Obj>();
  const deployments = kind('Deployment');
  // One name per stage: each stage's objects are all called <pipeline>-<stage>, and nothing else is
  // (but the shared ConfigMap conveyor-common).
  for (const k of ['Deployment', 'Service', 'ConfigMap', 'ServiceAccount', 'PodDisruptionBudget', 'NetworkPolicy']) {
    const names = [...kind(k).keys()].filter((n) => !(k === 'ConfigMap' && n === SHARED_CONFIGMAP));
    if (!sameSet(names, stages.keys())) {
      p.add(
        `${k}s`,
        `found ${show(names.sort())}, expected one per stage, named <pipeline>-<stage>: ${show([...stages.keys()].sort())}`,
      );
    }
  }
  for (const [service, record] of stages) {
    const dep = deployments.get(service);
    if (dep) checkDeployment(p, service, record, dep, kind, manifest, expect);
  }
  checkTopics(p, kind('KafkaTopic'), manifest, expect);
  checkAutoscaling(p, kind, stages, expect);
  return p.list;
}

function checkDeployment(
  p: Problems,
  stage: string,
  record: ManifestStage,
  dep: Obj,
  kind: (k: string) => Map<string, Obj>,
  manifest: Manifest,
  expect: ReadonlySet<Trait>,
): void {
  const where = `Deployment/${stage}`;
  const { uid, httpPort } = manifest;
  const pod = asObj(dig(dep, 'spec', 'template', 'spec'));
  const podLabels = asObj(dig(dep, 'spec', 'template', 'metadata', 'labels'));
  const selector = asObj(dig(dep, 'spec', 'selector', 'matchLabels'));
  if (Object.keys(selector).length === 0 || Object.entries(selector).some(([k, v]) => podLabels[k] !== v)) {
    p.add(where, `selector ${show(selector)} does not match pod labels ${show(podLabels)}`);
  }
  const annotations = asObj(dig(dep, 'spec', 'template', 'metadata', 'annotations'));
  if (
    annotations['prometheus.io/scrape'] !== 'true' ||
    annotations['prometheus.io/port'] !== String(httpPort) ||
    annotations['prometheus.io/path'] !== '/metrics'
  ) {
    p.add(where, `prometheus scrape annotations missing or wrong: ${show(annotations)}`);
  }
  if (asList(pod['topologySpreadConstraints']).length === 0) p.add(where, 'no topologySpreadConstraints');
  const psc = asObj(pod['securityContext']);
  if (
    psc['runAsNonRoot'] !== true ||
    psc['runAsUser'] !== uid ||
    dig(psc, 'seccompProfile', 'type') !== 'RuntimeDefault'
  ) {
    p.add(where, `pod securityContext must run as non-root uid ${uid} with RuntimeDefault seccomp: ${show(psc)}`);
  }
  const sa = pod['serviceAccountName'];
  if (sa !== stage || !kind('ServiceAccount').has(stage)) {
    p.add(where, `serviceAccountName ${show(sa)} is not the ServiceAccount ${show(stage)}`);
  }

  const containers = asList(pod['containers']);
  if (containers.length !== 1) {
    p.add(where, `expected one container, found ${containers.length}`);
    return;
  }
  const c = asObj(containers[0]);
  const image = str(c['image']);
  const tag = image.startsWith(`${record.image}:`) ? image.slice(record.image.length + 1) : undefined;
  if (tag === undefined || !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) {
    p.add(where, `image ${show(image)} is not ${record.image}:<tag> (app ${record.app})`);
  } else if (onGpu(record, expect) && !tag.endsWith('-cuda')) {
    p.add(where, `a GPU stage must use the CUDA image (tag ending -cuda), got ${show(image)}`);
  }
  const ports = Object.fromEntries(
    asList(c['ports']).map((port) => [str(dig(port, 'name')), dig(port, 'containerPort')]),
  );
  if (ports['http'] !== httpPort) p.add(where, `container port "http" must be ${httpPort}: ${show(ports)}`);
  for (const [probe, path] of [
    ['livenessProbe', '/health/live'],
    ['readinessProbe', '/health/ready'],
    ['startupProbe', '/health/live'],
  ] as const) {
    const got = dig(c, probe, 'httpGet', 'path');
    const port = dig(c, probe, 'httpGet', 'port');
    if (got !== path || (port !== 'http' && port !== httpPort)) {
      p.add(where, `${probe} must GET ${path} on the http port, got ${show(got)} on ${show(port)}`);
    }
  }
  // No CPU limit is required (a stage may burst onto idle cores); memory is always bounded.
  for (const [section, names] of [
    ['requests', ['cpu', 'memory']],
    ['limits', ['memory']],
  ] as const) {
    for (const r of names)
      if (dig(c, 'resources', section, r) === undefined) p.add(where, `resources.${section}.${r} missing`);
  }
  const sc = asObj(c['securityContext']);
  if (
    sc['readOnlyRootFilesystem'] !== true ||
    sc['allowPrivilegeEscalation'] !== false ||
    sc['runAsNonRoot'] !== true ||
    show(dig(sc, 'capabilities', 'drop')) !== show(['ALL']) ||
    dig(sc, 'seccompProfile', 'type') !== 'RuntimeDefault'
  ) {
    p.add(where, `container securityContext is not hardened: ${show(sc)}`);
  }
  const mounts = new Map(asList(c['volumeMounts']).map((m) => [str(dig(m, 'mountPath')), str(dig(m, 'name'))]));
  const volumes = new Map(asList(pod['volumes']).map((v) => [str(dig(v, 'name')), asObj(v)]));
  const tmp = volumes.get(mounts.get('/tmp') ?? '');
  if (!tmp || !('emptyDir' in tmp)) p.add(where, '/tmp must be an emptyDir mount (the only writable path)');

  // Configuration: every envFrom ConfigMap exists; the grace period outlasts the drain.
  const env: Obj = {};
  for (const ref of asList(c['envFrom'])) {
    const name = str(dig(ref, 'configMapRef', 'name'));
    const cm = kind('ConfigMap').get(name);
    if (!cm) p.add(where, `envFrom ConfigMap ${show(name)} does not exist`);
    else Object.assign(env, asObj(cm['data']));
  }
  const graceMs = millis(env['SHUTDOWN_GRACE_MS'] ?? '30000');
  const tgps = pod['terminationGracePeriodSeconds'];
  if (graceMs === undefined || typeof tgps !== 'number' || tgps * 1000 <= graceMs) {
    p.add(
      where,
      `terminationGracePeriodSeconds ${show(tgps)} must exceed SHUTDOWN_GRACE_MS ${show(env['SHUTDOWN_GRACE_MS'])}`,
    );
  }
  if (env['HTTP_PORT'] !== String(httpPort))
    p.add(where, `HTTP_PORT must be ${httpPort}, got ${show(env['HTTP_PORT'])}`);
  for (const key of ['KAFKA_BROKERS', 'REDIS_URL', 'LOG_LEVEL', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
    if (!env[key]) p.add(where, `${key} is not configured`);
  }
  if (env['OTEL_SERVICE_NAME'] !== `conveyor-${stage}`) {
    p.add(where, `OTEL_SERVICE_NAME must be conveyor-${stage}, got ${show(env['OTEL_SERVICE_NAME'])}`);
  }
  checkStageEnv(p, where, record, env, expect);

  // Companions: Service, PDB and NetworkPolicy select exactly these pods.
  for (const [companion, path] of [
    ['Service', ['spec', 'selector']],
    ['PodDisruptionBudget', ['spec', 'selector', 'matchLabels']],
    ['NetworkPolicy', ['spec', 'podSelector', 'matchLabels']],
  ] as const) {
    const obj = kind(companion).get(stage);
    if (!obj) {
      p.add(where, `no ${companion} named ${stage}`);
      continue;
    }
    const sel = asObj(dig(obj, ...path));
    if (show(Object.entries(sel).sort()) !== show(Object.entries(selector).sort())) {
      p.add(`${companion}/${stage}`, `selector ${show(sel)} differs from the Deployment selector ${show(selector)}`);
    }
  }
  const pdb = asObj(dig(kind('PodDisruptionBudget').get(stage), 'spec'));
  if (kind('PodDisruptionBudget').has(stage)) {
    if ('minAvailable' in pdb === 'maxUnavailable' in pdb) {
      p.add(`PodDisruptionBudget/${stage}`, 'needs exactly one of minAvailable / maxUnavailable');
    }
    if (expect.has('prod') && !('minAvailable' in pdb)) p.add(`PodDisruptionBudget/${stage}`, 'prod uses minAvailable');
  }
  const np = kind('NetworkPolicy').get(stage);
  if (np) {
    const egressPorts = new Set(
      asList(dig(np, 'spec', 'egress')).flatMap((rule) => asList(dig(rule, 'ports')).map((port) => dig(port, 'port'))),
    );
    for (const port of [53, 9092, 6379]) {
      if (!egressPorts.has(port)) p.add(`NetworkPolicy/${stage}`, `egress to port ${port} is not allowed`);
    }
  }

  // Overlay expectations.
  if (expect.has('dev')) {
    if (dig(dep, 'spec', 'replicas') !== 1) p.add(where, 'dev runs one replica');
    if (env['LOG_LEVEL'] !== 'debug') p.add(where, 'dev logs at debug');
  }
  const gpu = dig(c, 'resources', 'limits', 'nvidia.com/gpu');
  const providers = str(env['ORT_EXECUTION_PROVIDERS']);
  if (onGpu(record, expect)) {
    if (str(gpu) !== '1') p.add(where, `a GPU stage needs limits nvidia.com/gpu: 1, got ${show(gpu)}`);
    if (!asList(pod['tolerations']).some((t) => dig(t, 'key') === 'nvidia.com/gpu')) {
      p.add(where, 'a GPU stage needs a toleration for nvidia.com/gpu');
    }
    if (Object.keys(asObj(pod['nodeSelector'])).length === 0)
      p.add(where, 'a GPU stage needs a nodeSelector for GPU nodes');
    if (providers.split(',')[0] !== 'cuda') {
      p.add(where, `a GPU stage must try cuda first, got ORT_EXECUTION_PROVIDERS=${show(providers)}`);
    }
    if (record.batches && Number(env['BATCH_MAX_SIZE'] ?? '1') <= 1) {
      p.add(where, 'a GPU stage that batches should batch (BATCH_MAX_SIZE > 1)');
    }
  } else if (gpu !== undefined || providers.includes('cuda')) {
    p.add(where, `CPU variant must not ask for a GPU (limit ${show(gpu)}, providers ${show(providers)})`);
  }
}

function checkTopics(p: Problems, topics: Map<string, Obj>, manifest: Manifest, expect: ReadonlySet<Trait>): void {
  const specs = new Map(manifest.topics.map((t) => [t.topic, t]));
  const names = new Set<string>();
  for (const [name, t] of topics) {
    const where = `KafkaTopic/${name}`;
    if (dig(t, 'metadata', 'labels', 'strimzi.io/cluster') !== 'conveyor')
      p.add(where, 'label strimzi.io/cluster must be conveyor');
    const topic = str(dig(t, 'spec', 'topicName')) || name;
    names.add(topic);
    const replicas = dig(t, 'spec', 'replicas');
    const isr = millis(dig(t, 'spec', 'config', 'min.insync.replicas') ?? 1);
    if (typeof replicas !== 'number' || isr === undefined || isr > replicas) {
      p.add(where, `min.insync.replicas ${show(isr)} exceeds replicas ${show(replicas)}`);
    }
    if (expect.has('dev') && replicas !== 1) p.add(where, 'dev topics have one replica (one broker)');
    const spec = specs.get(topic);
    if (!spec) continue;
    const config = asObj(dig(t, 'spec', 'config'));
    for (const [key, value] of Object.entries(spec.config)) {
      if (key === 'retention.ms' && spec.deadLetter) continue;
      if (str(config[key]) !== String(value)) {
        p.add(where, `config ${key} must be ${show(value)} (from the definition), got ${show(config[key])}`);
      }
    }
    if (spec.partitions !== null && dig(t, 'spec', 'partitions') !== spec.partitions) {
      p.add(
        where,
        `partitions must be ${spec.partitions} (from the definition), got ${show(dig(t, 'spec', 'partitions'))}`,
      );
    }
  }
  if (!sameSet(names, specs.keys())) {
    const missing = [...specs.keys()].filter((t) => !names.has(t)).sort();
    const unexpected = [...names].filter((t) => !specs.has(t)).sort();
    p.add('KafkaTopics', `missing ${show(missing)}, unexpected ${show(unexpected)}`);
  }
}

function checkAutoscaling(
  p: Problems,
  kind: (k: string) => Map<string, Obj>,
  stages: Map<string, ManifestStage>,
  expect: ReadonlySet<Trait>,
): void {
  const deployments = kind('Deployment');
  const topics = new Map([...kind('KafkaTopic')].map(([n, t]) => [str(dig(t, 'spec', 'topicName')) || n, t]));
  const scaled = kind('ScaledObject');
  const hpas = kind('HorizontalPodAutoscaler');
  const targets = new Map<string, string[]>();
  const scales = (target: string, who: string) => targets.set(target, [...(targets.get(target) ?? []), who]);
  for (const [name, so] of scaled) {
    const where = `ScaledObject/${name}`;
    const target = str(dig(so, 'spec', 'scaleTargetRef', 'name'));
    scales(target, where);
    if (!deployments.has(target)) {
      p.add(where, `scales ${show(target)}, which is not a Deployment here`);
      continue;
    }
    const kafka = asList(dig(so, 'spec', 'triggers')).filter((t) => dig(t, 'type') === 'kafka');
    if (kafka.length === 0) p.add(where, 'no kafka trigger');
    const record = stages.get(target);
    for (const t of kafka) {
      const md = asObj(dig(t, 'metadata'));
      if (md['consumerGroup'] !== record?.group)
        p.add(where, `consumerGroup ${show(md['consumerGroup'])}, expected ${show(record?.group)}`);
      if (md['topic'] !== record?.input)
        p.add(where, `topic ${show(md['topic'])} is not ${target}'s input ${show(record?.input)}`);
      if (!/^\d+$/.test(str(md['lagThreshold']))) {
        p.add(where, `lagThreshold must be a positive integer string, got ${show(md['lagThreshold'])}`);
      }
      if (!/^[a-z0-9.-]+\.svc(\.[a-z0-9.-]+)?:\d+(,.+)?$/.test(str(md['bootstrapServers']))) {
        p.add(
          where,
          'bootstrapServers must be fully qualified (<svc>.<ns>.svc:port): the KEDA operator resolves it from its own namespace',
        );
      }
      const partitions = dig(topics.get(str(md['topic'])), 'spec', 'partitions');
      const maxReplicas = dig(so, 'spec', 'maxReplicaCount');
      if (typeof partitions === 'number' && typeof maxReplicas === 'number' && maxReplicas > partitions) {
        p.add(where, `maxReplicaCount ${maxReplicas} exceeds the ${partitions} partitions of ${str(md['topic'])}`);
      }
    }
  }
  for (const [name, hpa] of hpas) {
    const target = str(dig(hpa, 'spec', 'scaleTargetRef', 'name'));
    scales(target, `HorizontalPodAutoscaler/${name}`);
    if (!deployments.has(target))
      p.add(`HorizontalPodAutoscaler/${name}`, `scales ${show(target)}, which is not a Deployment here`);
  }
  for (const [target, who] of targets) {
    if (who.length > 1) p.add(`Deployment/${target}`, `scaled by more than one autoscaler: ${show(who)}`);
  }
  if (!expect.has('hpa') && !expect.has('dev') && !sameSet(scaled.keys(), stages.keys())) {
    p.add('ScaledObjects', `found ${show([...scaled.keys()].sort())}, expected one per stage`);
  }
  if (expect.has('hpa') && (scaled.size > 0 || !sameSet(hpas.keys(), stages.keys()))) {
    p.add(
      'autoscaling',
      `hpa-cpu expects HPAs for every stage and no ScaledObject; found ${show([...hpas.keys()])} / ${show([...scaled.keys()])}`,
    );
  }
  if (expect.has('dev') && (scaled.size > 0 || hpas.size > 0))
    p.add('autoscaling', 'dev runs fixed single replicas, no autoscalers');
}

// ---------------------------------------------------------------- Compose

export const OBSERVABILITY = new Set(['otel-collector', 'jaeger', 'prometheus', 'grafana']);
const PLATFORM_SERVICES = ['kafka', 'topics', 'redis'];

/** Compose files as Docker Compose reads them: merge keys (`<<: *stage`) resolved, later files overriding earlier ones. */
export function loadCompose(texts: readonly string[]): Obj {
  const merged: Obj = {};
  for (const text of texts) {
    const doc = asObj(parse(text, { merge: true }) as Json);
    for (const [key, value] of Object.entries(doc)) {
      if (key === 'services') {
        const services = asObj(merged['services']);
        for (const [name, service] of Object.entries(asObj(value))) {
          services[name] = deepMerge(asObj(services[name]), asObj(service));
        }
        merged['services'] = services;
      } else {
        merged[key] = value;
      }
    }
  }
  return merged;
}

function deepMerge(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObj(v) && isObj(out[k]) ? deepMerge(asObj(out[k]), v) : v;
  return out;
}

/** `${NAME:-default}` -> default, `${NAME}` -> '' (what an unset variable gives). */
const interpolate = (value: Json): string =>
  str(value).replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}/g, (_, d) => d ?? '');

/** The compose model (loadCompose) against the stages; `gpu` when compose.gpu.yaml is merged in. */
export function checkCompose(doc: Obj, manifest: Manifest, expect: ReadonlySet<Trait>): string[] {
  const p = new Problems();
  const services = asObj(doc['services']);
  const apps = new Map(manifest.apps.map((a) => [a.app, a]));
  const kafka = asObj(services['kafka']);
  const kenv = asObj(kafka['environment']);
  if (str(kenv['KAFKA_AUTO_CREATE_TOPICS_ENABLE']).toLowerCase() !== 'false')
    p.add('compose kafka', 'auto topic creation must be off');
  if (str(kenv['KAFKA_PROCESS_ROLES']) !== 'broker,controller') {
    p.add('compose kafka', 'single-node KRaft needs KAFKA_PROCESS_ROLES=broker,controller');
  }
  if (!interpolate(kenv['KAFKA_ADVERTISED_LISTENERS']).includes('EXTERNAL://localhost:9092')) {
    p.add('compose kafka', 'host producers need EXTERNAL://localhost:9092 advertised (KAFKA_HOST_PORT by default)');
  }
  if (!asList(kafka['ports']).some((port) => interpolate(port) === '9092:9092')) {
    p.add('compose kafka', 'port 9092 must be published on the host');
  }
  for (const name of [...PLATFORM_SERVICES.slice(1), ...OBSERVABILITY]) {
    if (!(name in services)) p.add('compose', `service ${name} is missing`);
  }
  for (const record of manifest.stages) {
    const stage = record.service;
    const s = services[stage];
    const where = `compose ${stage}`;
    if (!isObj(s)) {
      p.add('compose', `service ${stage} is missing`);
      continue;
    }
    if (s['read_only'] !== true) p.add(where, 'read_only: true is required');
    if (str(s['user']).split(':')[0] !== String(manifest.uid))
      p.add(where, `user must be ${manifest.uid}, got ${show(s['user'])}`);
    if (!asList(s['tmpfs']).some((t) => str(t).split(':')[0] === '/tmp')) p.add(where, 'needs a tmpfs at /tmp');
    const test = asList(dig(s, 'healthcheck', 'test'))
      .map(str)
      .join(' ');
    if (!test.includes(`${manifest.httpPort}/health/ready`))
      p.add(where, `healthcheck must probe /health/ready on ${manifest.httpPort}`);
    const deps = asObj(s['depends_on']);
    const want = { kafka: 'service_healthy', topics: 'service_completed_successfully', redis: 'service_healthy' };
    for (const [dep, condition] of Object.entries(want)) {
      if (dig(deps, dep, 'condition') !== condition) p.add(where, `depends_on ${dep} must be ${condition}`);
    }
    for (const dep of Object.keys(deps)) {
      if (OBSERVABILITY.has(dep))
        p.add(where, `must not depend on ${dep}: it is in the \`observability\` profile, which may be off`);
    }
    const app = apps.get(record.app);
    const gpu = onGpu(record, expect);
    const wantDockerfile = gpu ? app?.gpuDockerfile : app?.dockerfile;
    if (dig(s, 'build', 'dockerfile') !== wantDockerfile) {
      p.add(where, `builds from ${show(dig(s, 'build', 'dockerfile'))}, expected ${show(wantDockerfile)}`);
    }
    if (str(dig(s, 'build', 'args', 'APP')) !== record.app) {
      p.add(where, `build argument APP must be its app ${record.app}, got ${show(dig(s, 'build', 'args', 'APP'))}`);
    }
    if (!str(s['image']).startsWith(`${record.image}:`))
      p.add(where, `image ${show(s['image'])} is not ${record.image}:<tag>`);
    const env = asObj(s['environment']);
    if (env['OTEL_SERVICE_NAME'] !== `conveyor-${stage}`) {
      p.add(where, `OTEL_SERVICE_NAME must be conveyor-${stage}, got ${show(env['OTEL_SERVICE_NAME'])}`);
    }
    checkStageEnv(p, where, record, env, expect);
    const devices = asList(dig(s, 'deploy', 'resources', 'reservations', 'devices'));
    const providers = str(env['ORT_EXECUTION_PROVIDERS']);
    if (gpu) {
      if (!devices.some((d) => dig(d, 'driver') === 'nvidia'))
        p.add(where, 'a GPU stage needs an nvidia device reservation');
      if (providers.split(',')[0] !== 'cuda') p.add(where, `a GPU stage must try cuda first, got ${show(providers)}`);
    } else if (devices.length > 0 || providers.includes('cuda')) {
      p.add(where, 'the CPU variant must not reserve a GPU or ask for cuda');
    }
    if (env['HTTP_PORT'] !== String(manifest.httpPort) || !env['KAFKA_BROKERS'] || !env['REDIS_URL']) {
      p.add(where, `HTTP_PORT=${manifest.httpPort}, KAFKA_BROKERS and REDIS_URL are required`);
    }
    const graceMs = millis(env['SHUTDOWN_GRACE_MS'] ?? '30000');
    const m = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(str(s['stop_grace_period'] ?? '10s'));
    const stopSeconds = m ? Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0) : 0;
    if (graceMs === undefined || stopSeconds * 1000 <= graceMs) {
      p.add(where, `stop_grace_period ${show(s['stop_grace_period'])} must exceed SHUTDOWN_GRACE_MS ${show(graceMs)}`);
    }
  }
  for (const name of OBSERVABILITY) {
    const profiles = dig(services, name, 'profiles');
    if (profiles !== undefined && !asList(profiles).includes('observability')) {
      p.add(`compose ${name}`, `belongs in the \`observability\` profile, got ${show(profiles)}`);
    }
  }
  const known = new Set([...manifest.stages.map((s) => s.service), ...PLATFORM_SERVICES, ...OBSERVABILITY]);
  const unknown = Object.keys(services).filter((s) => !known.has(s));
  if (unknown.length > 0) p.add('compose', `services that are no stage of any pipeline: ${show(unknown.sort())}`);
  return p.list;
}

/** Words podman-compose 1.0.3 can pass through its `/bin/sh -c` join of an exec-form healthcheck (shlex leaves them unquoted). */
const SHELL_SAFE_WORD = /^[\w@%+=:,./-]+$/;
const EMPTY_DEFAULT = /\$\{[A-Za-z_][A-Za-z0-9_]*:?-\}/g;

/** A compose file as written: what podman-compose 1.0.3 would get wrong without any error. */
export function checkComposeSource(path: string, text: string): string[] {
  const p = new Problems();
  const code = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n');
  for (const m of code.matchAll(EMPTY_DEFAULT)) {
    p.add(
      path,
      `${m[0]}: podman-compose 1.0.3 passes a \`:-\` with an empty default on literally; write \${NAME} instead`,
    );
  }
  const doc = asObj(parse(text, { merge: true }) as Json);
  for (const [name, s] of Object.entries(asObj(doc['services']))) {
    const test = asList(dig(s, 'healthcheck', 'test'));
    if (test[0] === 'CMD') {
      const bad = test
        .slice(1)
        .map(str)
        .filter((w) => !SHELL_SAFE_WORD.test(w));
      if (bad.length > 0) {
        p.add(
          `${path} ${name}`,
          `healthcheck words ${show(bad)} need shell quoting, which podman-compose 1.0.3 breaks: use a script (docker/healthcheck.js) and plain arguments`,
        );
      }
    }
  }
  return p.list;
}

// ---------------------------------------------------------------- Dockerfiles

const SHARED_START = '# ---- deps:';
const SHARED_END = '# ---- build:';

/** The stage Dockerfiles (docker/stage.Dockerfile and its CUDA variant) as the files in `root` are. */
export function checkStageDockerfiles(root: string, manifest: Manifest): string[] {
  const p = new Problems();
  const files = new Set<string>();
  for (const app of manifest.apps) {
    files.add(app.dockerfile);
    if (app.gpuDockerfile) files.add(app.gpuDockerfile);
  }
  const shared = new Map<string, string>();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(join(root, file), 'utf8');
    } catch {
      p.add(file, 'missing: the stage images are built from it (tools/deploy/images.txt)');
      continue;
    }
    const gpu = file.includes('.gpu.');
    const start = text.indexOf(SHARED_START);
    const end = text.indexOf(SHARED_END);
    if (start < 0 || end < 0) p.add(file, `the shared section (${SHARED_START} ... ${SHARED_END}) is missing`);
    else shared.set(file, text.slice(start, end));
    const lines = text.split('\n').map((l) => l.trim());
    const wants = [
      'COPY package.json package-lock.json .npmrc ./',
      'ARG APP',
      'COPY apps/${APP} apps/${APP}',
      // The stage reads its pipeline definition at run time (@conveyor/pipelines).
      'COPY pipelines pipelines',
      `USER ${manifest.uid}:${manifest.uid}`,
      `EXPOSE ${manifest.httpPort}`,
      'STOPSIGNAL SIGTERM',
      'CMD ["node", "dist/main.js"]',
    ];
    for (const want of wants) if (!lines.includes(want)) p.add(file, `missing line: ${want}`);
    if (!lines.some((l) => /^RUN npx nx run "\$\{APP\}:build"/.test(l)))
      p.add(file, 'does not build the app with `npx nx run "${APP}:build"`');
    const froms = lines.filter((l) => l.startsWith('FROM '));
    if (!froms.at(-1)?.endsWith('AS release')) p.add(file, 'the last stage must be `release`');
    if (!text.includes('HOME=/tmp')) p.add(file, 'HOME=/tmp is required (read-only root filesystem)');
    // npm ci must come before the sources, so the dependency layer survives source edits.
    const ci = text.indexOf('npm ci');
    const src = text.indexOf('COPY libs');
    if (ci < 0 || src < 0 || ci > src) p.add(file, '`npm ci` must run before the sources are copied');
    if (gpu) {
      if (!text.includes('libonnxruntime_providers_cuda.so'))
        p.add(file, "must install and verify onnxruntime-node's CUDA provider");
    } else if (
      !lines.includes('FROM ${NODE_IMAGE} AS release') ||
      !lines.includes('ARG NODE_IMAGE=node:24-bookworm-slim')
    ) {
      p.add(file, 'release stage must be node:24-bookworm-slim');
    }
  }
  const [first, ...rest] = [...shared];
  for (const [file, text] of rest) {
    if (first && text !== first[1]) {
      p.add(
        file,
        `deps/runtime-deps stages differ from ${first[0]}: the images would no longer share the cached \`npm ci\` layers`,
      );
    }
  }
  return p.list;
}

// ---------------------------------------------------------------- Observability files

const STAGE_METRICS = [
  'conveyor_messages_consumed_total',
  'conveyor_messages_produced_total',
  'conveyor_messages_failed_total',
  'conveyor_messages_dead_lettered_total',
  'conveyor_stage_duration_seconds_bucket',
  'conveyor_model_run_seconds_bucket',
  'conveyor_batch_size_bucket',
  'conveyor_consumer_lag',
  'conveyor_in_flight',
];

/** docker/prometheus.yml, the OTel Collector, Grafana provisioning and the dashboard, in `dockerDir`. */
export function checkObservability(dockerDir: string, manifest: Manifest): string[] {
  const p = new Problems();
  const read = (file: string) => readFileSync(join(dockerDir, file), 'utf8');
  const services = manifest.stages.map((s) => s.service);
  const prom = asObj(parse(read('prometheus.yml')) as Json);
  const staticConfigs = asList(prom['scrape_configs']).flatMap((job) => asList(dig(job, 'static_configs')));
  const targets = new Set(staticConfigs.flatMap((sc) => asList(dig(sc, 'targets')).map(str)));
  for (const stage of services) {
    if (!targets.has(`${stage}:${manifest.httpPort}`))
      p.add('docker/prometheus.yml', `does not scrape ${stage}:${manifest.httpPort}`);
  }
  for (const sc of staticConfigs) {
    const labels = asObj(dig(sc, 'labels'));
    if ('service' in labels && !services.includes(str(labels['service']))) {
      p.add('docker/prometheus.yml', `scrapes service ${show(labels['service'])}, which is no stage of any pipeline`);
    }
    if ('stage' in labels)
      p.add('docker/prometheus.yml', "a target label `stage` would clash with the series' own `stage`");
  }

  const otel = asObj(parse(read('otel-collector.yaml')) as Json);
  const pipelines = asObj(dig(otel, 'service', 'pipelines'));
  for (const [name, pipe] of Object.entries(pipelines)) {
    for (const part of ['receivers', 'processors', 'exporters']) {
      for (const component of asList(dig(pipe, part)).map(str)) {
        if (!(component in asObj(otel[part]))) {
          p.add('docker/otel-collector.yaml', `pipeline ${name} uses undefined ${part.slice(0, -1)} ${component}`);
        }
      }
    }
  }
  if (!('traces' in pipelines)) p.add('docker/otel-collector.yaml', 'no traces pipeline');

  const datasources = asObj(parse(read('grafana/provisioning/datasources/prometheus.yaml')) as Json);
  const uids = new Set(asList(datasources['datasources']).map((d) => dig(d, 'uid')));
  const providers = asObj(parse(read('grafana/provisioning/dashboards/conveyor.yaml')) as Json);
  if (asList(providers['providers']).length === 0)
    p.add('docker/grafana/provisioning/dashboards/conveyor.yaml', 'no dashboard provider');
  const dashPath = 'docker/grafana/dashboards/conveyor-stages.json';
  const dashText = read('grafana/dashboards/conveyor-stages.json');
  const dash = asObj(JSON.parse(dashText) as Json);
  if (dashText.includes('${DS_') || '__inputs' in dash) {
    p.add(dashPath, 'contains import placeholders; provisioning needs concrete datasource uids');
  }
  const exprs: string[] = [];
  for (const panel of asList(dash['panels'])) {
    for (const target of asList(dig(panel, 'targets'))) {
      exprs.push(str(dig(target, 'expr')));
      const uid = dig(target, 'datasource', 'uid') ?? dig(panel, 'datasource', 'uid');
      if (!uids.has(uid))
        p.add(
          dashPath,
          `panel ${show(dig(panel, 'title'))} uses datasource uid ${show(uid)}, provisioned: ${show([...uids])}`,
        );
    }
  }
  for (const metric of STAGE_METRICS)
    if (!exprs.some((e) => e.includes(metric))) p.add(dashPath, `no panel shows ${metric}`);
  const variables = new Map(asList(dig(dash, 'templating', 'list')).map((v) => [str(dig(v, 'name')), v]));
  const values = (name: string) => asList(dig(variables.get(name), 'options')).map((o) => dig(o, 'value'));
  if (show(values('stage')) !== show(services))
    p.add(dashPath, `variable \`stage\` offers ${show(values('stage'))}, expected ${show(services)}`);
  if (show(values('pipeline')) !== show(manifest.pipelines)) {
    p.add(dashPath, `variable \`pipeline\` offers ${show(values('pipeline'))}, expected ${show(manifest.pipelines)}`);
  }
  const ids = asList(dash['panels']).map((panel) => dig(panel, 'id'));
  if (new Set(ids).size !== ids.length) p.add(dashPath, 'panel ids are not unique');
  return p.list;
}
