import { definePipeline } from '@conveyor/pipeline';
import { renderCompose, renderComposeGpu } from './compose';
import { renderAll } from './generate';
import { renderK8s } from './k8s';
import { renderImageList, renderStagesManifest } from './manifest';
import { GENERATED_MARKER, type DeployContext } from './model';
import { renderDashboard, renderPrometheus, TEMPLATING_PLACEHOLDER } from './observability';
import { renderKafkaTopics, renderTopicList } from './topics';

/** A made-up two-stage pipeline: one CPU stage with its own topic settings, one GPU-optional model stage. */
const demo = definePipeline({
  name: 'demo',
  description: 'A pipeline for the generator tests.',
  topics: {
    in: {
      description: 'requests',
      partitions: 12,
      config: { 'max.message.bytes': '2000000', 'retention.ms': '3600000' },
    },
    mid: { description: 'halfway' },
    out: { description: 'results' },
  },
  input: { topic: 'in', eventType: 'demo.request.v1', contentTypes: ['application/json'] },
  output: { topic: 'out', resultSchema: 'demo.result.v1' },
  stages: [
    {
      name: 'first',
      app: 'alpha',
      description: 'does the first half',
      input: 'in',
      output: 'mid',
      replicas: 2,
      maxReplicas: 20,
      maxInFlight: 4,
      env: { FOO: 'bar', ANSWER: '42' },
      resources: { cpu: '500m', memory: '1Gi', cpuLimit: '2' },
    },
    {
      name: 'second',
      app: 'beta',
      input: 'mid',
      output: 'out',
      models: ['a model'],
      batch: { maxSize: 4, maxWaitMs: 5 },
      gpu: 'optional',
    },
  ],
});

const template = JSON.stringify({ title: 'T', templating: TEMPLATING_PLACEHOLDER, panels: [{ id: 1 }] });
const ctx: DeployContext = {
  pipelines: [demo],
  version: '9.9.9',
  gpuApps: new Set(['beta']),
  kafkaVersion: '4.1.1',
  dashboardTemplate: template,
};

/** The documents of a multi-document file (each keeps its final newline). */
const documents = (text: string) => text.split(/^---\n/m).slice(1);

/** The lines of `text` from the one that equals `first` up to (not including) the next line indented as little. */
function block(text: string, first: string): string {
  const lines = text.split('\n');
  const start = lines.indexOf(first);
  if (start < 0) throw new Error(`no line "${first}" in:\n${text}`);
  const indent = first.length - first.trimStart().length;
  const end = lines.findIndex(
    (l, i) =>
      i > start && l.trim() !== '' && !l.trimStart().startsWith('#') && l.length - l.trimStart().length <= indent,
  );
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

describe('compose', () => {
  const compose = renderCompose(ctx);

  it('has one service per stage, named <pipeline>-<stage>, with the image of its app and the stage environment', () => {
    const first = block(compose, '  demo-first:');
    expect(first).toContain('    <<: *stage\n');
    expect(first).toContain('    image: ghcr.io/conveyor-ml/conveyor-alpha:${CONVEYOR_TAG:-dev}\n');
    // Every app's image comes from the one stage Dockerfile, the app named by a build argument.
    expect(first).toContain(
      '    build:\n      context: .\n      dockerfile: docker/stage.Dockerfile\n      args:\n        APP: alpha\n',
    );
    expect(first).toContain(
      [
        '      <<: *stage-env',
        '      OTEL_SERVICE_NAME: conveyor-demo-first',
        '      PIPELINE: demo',
        '      STAGE: first',
        '      MAX_IN_FLIGHT: "4"',
        '      FOO: bar',
        '      ANSWER: "42"',
      ].join('\n'),
    );
    const second = block(compose, '  demo-second:');
    expect(second).toContain('      BATCH_MAX_SIZE: "4"\n      BATCH_MAX_WAIT_MS: "5"\n');
    // The CPU variant of a GPU-optional stage says so and reserves no GPU.
    expect(second).toContain('      ORT_EXECUTION_PROVIDERS: cpu');
    expect(second).not.toContain('nvidia');
    expect(compose).toContain('  # consumes demo.in (group conveyor-demo-first), produces demo.mid\n');
  });

  it('works under podman-compose 1.0.3 and Docker Compose v2 alike', () => {
    const code = compose
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('#'))
      .join('\n');
    expect(code).not.toMatch(/\$\{[A-Z_]+:?-\}/);
    expect(compose).toContain('  TOPIC_PREFIX: ${TOPIC_PREFIX}\n');
    expect(compose).toContain(
      '    test: ["CMD", "node", "/conveyor/healthcheck.js", "http://127.0.0.1:8080/health/ready"]\n',
    );
    expect(compose).toContain('      - ${KAFKA_HOST_PORT:-9092}:9092\n');
    expect(compose).toContain('EXTERNAL://localhost:${KAFKA_HOST_PORT:-9092}');
    expect(compose).toContain('  stop_grace_period: "45s"\n');
    expect(compose).not.toMatch(/^name:/m);
  });

  it('puts the observability services in a profile the stages do not depend on', () => {
    for (const name of ['otel-collector', 'jaeger', 'prometheus', 'grafana']) {
      expect(block(compose, `  ${name}:`)).toContain('    profiles: [observability]');
    }
    expect(block(compose, '  depends_on:')).not.toMatch(/^ +otel-collector:/m);
    for (const name of ['kafka', 'topics', 'redis']) expect(block(compose, `  ${name}:`)).not.toContain('profiles');
  });

  it('runs Kafka and Redis from the images built here, by name (no registry needed)', () => {
    const kafka = block(compose, '  kafka:');
    expect(kafka).toContain('    image: ghcr.io/conveyor-ml/conveyor-kafka:4.1.1\n');
    expect(kafka).toContain('      dockerfile: docker/kafka.Dockerfile\n');
    expect(kafka).toContain('    read_only: true\n');
    expect(block(compose, '  topics:')).toContain('    image: ghcr.io/conveyor-ml/conveyor-kafka:4.1.1\n');
    const redis = block(compose, '  redis:');
    expect(redis).toContain('    image: ghcr.io/conveyor-ml/conveyor-redis:7.0-bookworm\n');
    expect(redis).toContain('      dockerfile: docker/redis.Dockerfile\n');
    expect(redis).toContain('"--protected-mode", "no"');
  });

  it('puts only GPU-optional stages on the GPU in compose.gpu.yaml', () => {
    const gpu = renderComposeGpu(ctx);
    expect(gpu).not.toContain('demo-first');
    const second = block(gpu, '  demo-second:');
    expect(second).toContain('    image: ghcr.io/conveyor-ml/conveyor-beta:${CONVEYOR_TAG:-dev}-cuda\n');
    expect(second).toContain('      dockerfile: docker/stage.gpu.Dockerfile\n      args:\n        APP: beta\n');
    expect(second).toContain('      ORT_EXECUTION_PROVIDERS: cuda,cpu\n');
    expect(second).toContain('            - driver: nvidia\n              count: 1\n              capabilities: [gpu]');
  });

  it('refuses a GPU stage whose app has no GPU image', () => {
    expect(() => renderCompose({ ...ctx, gpuApps: new Set() })).toThrow(
      /demo\/second has gpu: 'optional', but its app beta has no GPU image \(docker\/stage.gpu.Dockerfile is missing\)/,
    );
  });
});

describe('topics', () => {
  it("lists every topic and a dead-letter twin per stage input, with the definition's partitions and configs", () => {
    const lines = renderTopicList(ctx)
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(lines).toEqual([
      'demo.in pipeline 12 max.message.bytes=2000000 retention.ms=3600000',
      'demo.mid pipeline -',
      'demo.out pipeline -',
      'demo.in.dlq dead-letter - max.message.bytes=2000000 retention.ms=3600000',
      'demo.mid.dlq dead-letter -',
    ]);
  });

  it('renders Strimzi KafkaTopics with partitions, replicas and topic configs', () => {
    const topics = renderKafkaTopics(ctx);
    const docs = documents(topics);
    expect(docs).toHaveLength(5);
    const input = docs.find((d) => d.includes('topicName: demo.in\n'))!;
    expect(input).toContain('  name: demo-in\n');
    expect(input).toContain('    conveyor/partitions: defined\n');
    expect(input).toContain('  partitions: 12\n  replicas: 3\n');
    expect(input).toContain('    max.message.bytes: "2000000"\n');
    // The definition's retention wins over the platform's 1 day.
    expect(input).toContain('    retention.ms: "3600000"\n');
    const dlq = docs.find((d) => d.includes('topicName: demo.in.dlq\n'))!;
    expect(dlq).toContain('    app.kubernetes.io/component: dead-letter-topic\n');
    expect(dlq).toContain('  partitions: 1\n');
    expect(dlq).toContain('    max.message.bytes: "2000000"\n');
    // Dead letters are kept 14 days, whatever their input keeps.
    expect(dlq).toContain('    retention.ms: 1209600000 # 14 days to inspect and replay\n');
    expect(dlq).toContain('# demo.in.dlq: what first could not process\n');
    const mid = docs.find((d) => d.includes('topicName: demo.mid\n'))!;
    expect(mid).toContain('    conveyor/partitions: default\n');
    expect(mid).toContain('  partitions: 6\n');
  });
});

describe('kubernetes', () => {
  const files = renderK8s(ctx);

  it('renders one base directory per stage with its seven objects', () => {
    expect(
      Object.keys(files)
        .filter((f) => f.startsWith('base/demo-first/'))
        .sort(),
    ).toEqual(
      ['configmap', 'deployment', 'kustomization', 'networkpolicy', 'pdb', 'service', 'serviceaccount'].map(
        (n) => `base/demo-first/${n}.yaml`,
      ),
    );
    expect(files['base/kustomization.yaml']).toContain('  - demo-first\n  - demo-second\n');
    expect(files['base/kustomization.yaml']).toContain(
      '  - name: ghcr.io/conveyor-ml/conveyor-alpha\n    newTag: "9.9.9"\n',
    );
  });

  it("gives the Deployment the definition's replicas and resources, probes and the hardening", () => {
    const dep = files['base/demo-first/deployment.yaml'];
    expect(dep).toContain('  replicas: 2\n');
    expect(dep).toContain('          image: ghcr.io/conveyor-ml/conveyor-alpha\n');
    expect(dep).toContain(
      [
        '          resources:',
        '            requests:',
        '              cpu: "500m"',
        '              memory: "1Gi"',
        '            limits:',
        '              cpu: "2"',
        '              memory: "1Gi"',
      ].join('\n'),
    );
    for (const probe of ['startupProbe', 'livenessProbe'])
      expect(block(dep, `          ${probe}:`)).toContain('path: /health/live');
    expect(block(dep, '          readinessProbe:')).toContain('path: /health/ready');
    expect(dep).toContain('            readOnlyRootFilesystem: true\n');
    expect(dep).toContain('              drop: [ALL]\n');
    expect(dep).toContain('      terminationGracePeriodSeconds: 45\n');
    expect(dep).toContain('                name: demo-first\n'); // envFrom the stage's ConfigMap
    // No CPU limit unless the definition sets one.
    const second = files['base/demo-second/deployment.yaml'];
    expect(block(second, '            limits:')).not.toContain('cpu');
  });

  it('puts the stage environment in its ConfigMap', () => {
    expect(block(files['base/demo-first/configmap.yaml'], 'data:')).toBe(
      [
        'data:',
        '  OTEL_SERVICE_NAME: conveyor-demo-first',
        '  PIPELINE: demo',
        '  STAGE: first',
        '  MAX_IN_FLIGHT: "4"',
        '  FOO: bar',
        '  ANSWER: "42"',
        '',
      ].join('\n'),
    );
  });

  it("scales each stage with KEDA on its group's lag on its input topic, within its partitions", () => {
    const docs = documents(files['base/autoscaling/scaledobjects.yaml']);
    expect(docs).toHaveLength(2);
    const first = docs.find((d) => d.includes('  name: demo-first\n'))!;
    expect(first).toContain('  minReplicaCount: 2\n');
    // maxReplicas 20, but demo.in has 12 partitions.
    expect(first).toContain('  maxReplicaCount: 12\n');
    expect(first).toContain('        consumerGroup: conveyor-demo-first\n        topic: demo.in\n');
    expect(first).toContain('        lagThreshold: "50"\n');
    expect(first).toContain('        bootstrapServers: conveyor-kafka-bootstrap.conveyor.svc:9092\n');
    const second = docs.find((d) => d.includes('  name: demo-second\n'))!;
    expect(second).toContain('  maxReplicaCount: 6\n');
    expect(second).toContain('        consumerGroup: conveyor-demo-second\n        topic: demo.mid\n');
    // A model stage: fewer waiting messages justify a replica.
    expect(second).toContain('        lagThreshold: "20"\n');
  });

  it('patches only the GPU-optional stages in the gpu component and overlay', () => {
    const dep = files['components/gpu-inference/deployment-gpu.yaml'];
    expect(dep).toContain('  name: demo-second\n');
    expect(dep).not.toContain('demo-first');
    expect(dep).toMatch(/^ +nvidia\.com\/gpu: 1$/m);
    expect(files['components/gpu-inference/configmap-gpu.yaml']).toContain('  ORT_EXECUTION_PROVIDERS: cuda,cpu\n');
    expect(files['overlays/gpu/kustomization.yaml']).toContain(
      '  - name: ghcr.io/conveyor-ml/conveyor-beta\n    newTag: "9.9.9-cuda"\n',
    );
    expect(files['overlays/gpu/kustomization.yaml']).not.toContain('conveyor-alpha');
    expect(files['overlays/gpu/scaledobjects-gpu.yaml']).toContain('        lagThreshold: "200"\n');
  });

  it('sizes prod from the definition: replicas, model stages at requests = limits, partitions', () => {
    const kustomization = files['overlays/prod/kustomization.yaml'];
    expect(kustomization).toContain('  - name: demo-first\n    count: 3\n');
    expect(files['overlays/prod/resources.yaml']).toContain('  name: demo-second\n');
    expect(files['overlays/prod/resources.yaml']).not.toContain('demo-first');
    // demo.in has its own 12 partitions; the prod patch touches only topics of the default.
    expect(files['overlays/prod/scaledobjects.yaml']).toMatch(
      /name: demo-first\nspec:\n {2}minReplicaCount: 3\n {2}maxReplicaCount: 12\n/,
    );
    expect(files['overlays/prod/scaledobjects.yaml']).toMatch(
      /name: demo-second\nspec:\n {2}minReplicaCount: 3\n {2}maxReplicaCount: 24\n/,
    );
    expect(kustomization).toContain(
      'labelSelector: app.kubernetes.io/component=pipeline-topic,conveyor/partitions=default',
    );
  });

  it('renders a CPU HPA per stage for clusters without KEDA', () => {
    const hpa = files['components/hpa-cpu/hpa.yaml'];
    expect(hpa.match(/kind: HorizontalPodAutoscaler/g)).toHaveLength(2);
    expect(hpa).toContain('    name: demo-second\n');
  });
});

describe('observability', () => {
  it('scrapes each stage with a `service` target label', () => {
    const prom = renderPrometheus(ctx);
    expect(prom).toContain('      - targets: ["demo-first:8080"]\n        labels:\n          service: demo-first\n');
    expect(prom).toContain('      - targets: ["demo-second:8080"]\n');
    expect(prom).not.toMatch(/^\s+stage:/m);
  });

  it("fills the dashboard template's variables with the pipelines and stages", () => {
    const dash = JSON.parse(renderDashboard(ctx));
    expect(Object.keys(dash)).toEqual(['//', 'title', 'templating', 'panels']);
    const [pipeline, stage] = dash.templating.list;
    expect(pipeline.name).toBe('pipeline');
    expect(pipeline.options.map((o: { value: string }) => o.value)).toEqual(['demo']);
    expect(stage.name).toBe('stage');
    expect(stage.query).toBe('demo/first : demo-first,demo/second : demo-second');
    expect(stage.options.map((o: { text: string }) => o.text)).toEqual(['demo/first', 'demo/second']);
    expect(() => renderDashboard({ ...ctx, dashboardTemplate: '{"templating": {}}' })).toThrow(/templating/);
  });
});

describe('manifests', () => {
  it('lists the images to build: the apps, with a GPU Dockerfile where a stage wants a GPU, then Kafka and Redis', () => {
    expect(
      renderImageList(ctx)
        .split('\n')
        .filter((l) => l && !l.startsWith('#')),
    ).toEqual([
      'alpha docker/stage.Dockerfile -',
      'beta docker/stage.Dockerfile docker/stage.gpu.Dockerfile',
      'infra:kafka docker/kafka.Dockerfile ghcr.io/conveyor-ml/conveyor-kafka:4.1.1',
      'infra:redis docker/redis.Dockerfile ghcr.io/conveyor-ml/conveyor-redis:7.0-bookworm',
    ]);
  });

  it('writes k8s/stages.json for the checks and the container e2e test', () => {
    const manifest = JSON.parse(renderStagesManifest(ctx));
    expect(
      manifest.stages.map((s: { service: string; group: string; input: string }) => [s.service, s.group, s.input]),
    ).toEqual([
      ['demo-first', 'conveyor-demo-first', 'demo.in'],
      ['demo-second', 'conveyor-demo-second', 'demo.mid'],
    ]);
    expect(manifest.topics).toHaveLength(5);
    expect(manifest.apps[1]).toEqual({
      app: 'beta',
      image: 'ghcr.io/conveyor-ml/conveyor-beta',
      dockerfile: 'docker/stage.Dockerfile',
      gpuDockerfile: 'docker/stage.gpu.Dockerfile',
    });
  });

  it('marks every generated file and renders the same bytes twice', async () => {
    const files = await renderAll(ctx);
    for (const [path, content] of files)
      expect([path, content.slice(0, 400).includes(GENERATED_MARKER)]).toEqual([path, true]);
    expect(await renderAll(ctx)).toEqual(files);
  });

  it("formats YAML and JSON as the repository's Prettier settings do, values unchanged", async () => {
    const files = await renderAll(ctx);
    expect(files.get('compose.yaml')).toContain("  user: '10001:10001'\n");
    expect(files.get('compose.yaml')).toContain(
      "    test: ['CMD', 'node', '/conveyor/healthcheck.js', 'http://127.0.0.1:8080/health/ready']\n",
    );
    expect(JSON.parse(files.get('k8s/stages.json') ?? '')).toEqual(JSON.parse(renderStagesManifest(ctx)));
    expect(files.get('docker/kafka/topics.txt')).toBe(renderTopicList(ctx));
  });
});

describe("a stage with gpu: 'required'", () => {
  const gpuOnly = definePipeline({
    name: 'gpuonly',
    description: 'One stage that cannot run without a GPU.',
    topics: { in: {}, out: {} },
    input: { topic: 'in', eventType: 'gpuonly.request.v1', contentTypes: ['application/json'] },
    output: { topic: 'out', resultSchema: 'gpuonly.result.v1' },
    stages: [{ name: 'only', app: 'beta', input: 'in', output: 'out', models: ['m'], gpu: 'required' }],
  });
  const required: DeployContext = { ...ctx, pipelines: [gpuOnly] };

  it('runs on the GPU in compose.yaml itself, and compose.gpu.yaml leaves it alone', () => {
    const service = block(renderCompose(required), '  gpuonly-only:');
    expect(service).toContain('    image: ghcr.io/conveyor-ml/conveyor-beta:${CONVEYOR_TAG:-dev}-cuda\n');
    expect(service).toContain('      dockerfile: docker/stage.gpu.Dockerfile\n      args:\n        APP: beta\n');
    expect(service).toContain('      ORT_EXECUTION_PROVIDERS: cuda,cpu\n');
    expect(service).toContain('            - driver: nvidia\n');
    expect(renderComposeGpu(required)).not.toContain('gpuonly-only');
  });

  it('is scheduled on a GPU node by the base, with the CUDA image tag', () => {
    const files = renderK8s(required);
    const dep = files['base/gpuonly-only/deployment.yaml'];
    expect(dep).toMatch(/^ +nvidia\.com\/gpu: 1$/m);
    expect(dep).toContain('        nvidia.com/gpu.present: "true"\n');
    expect(dep).toMatch(/^ +maxSurge: 0$/m);
    const scaled = files['base/autoscaling/scaledobjects.yaml'];
    expect(scaled).toContain('  maxReplicaCount: 4\n');
    expect(scaled).toContain('        lagThreshold: "200"\n');
    expect(files['base/gpuonly-only/configmap.yaml']).toContain('  ORT_EXECUTION_PROVIDERS: cuda,cpu\n');
    expect(files['base/kustomization.yaml']).toContain(
      '  - name: ghcr.io/conveyor-ml/conveyor-beta\n    newTag: "9.9.9-cuda"\n',
    );
    expect(files['components/gpu-inference/kustomization.yaml']).toContain('patches: []\n');
    expect(files['components/gpu-inference/deployment-gpu.yaml']).toBeUndefined();
  });

  it('cannot share an app (one image tag) with stages that run on CPU', () => {
    expect(() => renderK8s({ ...ctx, pipelines: [demo, gpuOnly] })).toThrow(
      /app beta serves stages with gpu: 'required' and stages without/,
    );
  });
});
