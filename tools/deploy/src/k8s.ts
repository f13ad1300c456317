import { appsOf } from '@conveyor/pipeline';
import {
  describeStage,
  flowOf,
  imageOf,
  optionalGpu,
  PLATFORM,
  requiredGpu,
  stageRecords,
  topicRecords,
  type DeployContext,
  type StageRecord,
} from './model';
import { generatedHeader, listing, wrap } from './text';
import { commented, flow, trailing, yamlFile } from './yaml';

const RENDERER = 'tools/deploy/src/k8s.ts';
const K = PLATFORM.k8s;
const KEDA_BOOTSTRAP = `${PLATFORM.kafkaCluster}-kafka-bootstrap.${PLATFORM.namespace}.svc:9092`;
const header = (text: string) => generatedHeader(RENDERER, text);
const terminationGraceSeconds = () => PLATFORM.shutdownGraceMs / 1000 + PLATFORM.graceMarginSeconds;

/** A file of the k8s tree: its path under k8s/ and its text. */
export type K8sFiles = Record<string, string>;

function labels(s: StageRecord): Record<string, string> {
  return {
    'app.kubernetes.io/name': s.service,
    'app.kubernetes.io/component': 'stage',
    'app.kubernetes.io/part-of': 'conveyor',
    'conveyor/pipeline': s.pipeline.name,
    'conveyor/stage': s.stage.name,
    'conveyor/app': s.app,
  };
}

/** What selects a stage's pods: stable across releases (a Deployment's selector cannot change). */
function selector(s: StageRecord): Record<string, string> {
  return { 'app.kubernetes.io/name': s.service, 'app.kubernetes.io/part-of': 'conveyor' };
}

const metadata = (s: StageRecord) => ({ name: s.service, labels: labels(s) });

/** Partitions of a stage's input topic in the base (or prod) manifests. */
function inputPartitions(ctx: DeployContext, s: StageRecord, prod = false): number {
  const topic = topicRecords(ctx).find((t) => t.topic === s.inputTopic);
  return topic?.partitions ?? (prod ? K.prodPartitions : K.partitions);
}

const clamp = (value: number, min: number, max: number) => Math.min(Math.max(value, min), max);

/** KEDA's range for a stage: from its replicas to its maxReplicas, never above its input's partitions. */
function replicaRange(ctx: DeployContext, s: StageRecord, prod = false): { min: number; max: number } {
  const partitions = inputPartitions(ctx, s, prod);
  const floor = prod ? Math.max(K.prodMinReplicas, s.stage.replicas) : s.stage.replicas;
  // GPUs are scarce: a stage that always runs on one is capped like the gpu overlay caps the optional ones.
  const cap = requiredGpu(s) ? Math.min(partitions, K.gpu.maxReplicas) : partitions;
  const max = Math.max(Math.min(s.stage.maxReplicas ?? cap, cap), s.stage.replicas);
  return { min: Math.min(floor, max), max };
}

function lagThreshold(s: StageRecord): number {
  if (requiredGpu(s)) return K.gpu.lagThreshold;
  return s.stage.models.length > 0 ? K.lagThresholdModels : K.lagThreshold;
}

/** The image tag a kustomization gives an app: `-cuda` for an app whose stages all need a GPU. */
function appTag(ctx: DeployContext, app: string, tag: string): string {
  const stages = stageRecords(ctx).filter((s) => s.app === app);
  const required = stages.filter(requiredGpu).length;
  if (required > 0 && required < stages.length) {
    throw new Error(
      `app ${app} serves stages with gpu: 'required' and stages without: one image tag cannot serve both`,
    );
  }
  return required > 0 ? `${tag}-cuda` : tag;
}

function images(ctx: DeployContext, tag: string, apps = appsOf(ctx.pipelines)) {
  return apps.map((app) => ({ name: imageOf(app), newTag: appTag(ctx, app, tag) }));
}

// ---------------------------------------------------------------- one stage

function gpuResources(s: StageRecord) {
  return {
    requests: { cpu: s.stage.resources.cpu, memory: '2Gi' },
    limits: { cpu: '4', memory: '4Gi', 'nvidia.com/gpu': 1 },
  };
}

const GPU_STARTUP_COMMENT = 'CUDA context creation and cuDNN loading add to start-up: allow three minutes.';
const gpuStartupProbe = () => ({
  httpGet: { path: '/health/live', port: 'http' },
  periodSeconds: 2,
  failureThreshold: 90,
});
const GPU_SCHEDULING = {
  nodeSelector: { 'nvidia.com/gpu.present': 'true' },
  tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
};
const GPU_ROLLOUT_COMMENT = 'Replace in place: a rollout must not need a spare GPU for a surge pod.';
const gpuRollingUpdate = () => ({ maxSurge: 0, maxUnavailable: 1 });

function resources(s: StageRecord) {
  const r = s.stage.resources;
  return {
    requests: { cpu: r.cpu, memory: r.memory },
    limits: { ...(r.cpuLimit ? { cpu: r.cpuLimit } : {}), memory: r.memory },
  };
}

function deployment(ctx: DeployContext, s: StageRecord) {
  const gpu = requiredGpu(s);
  const container = {
    name: s.service,
    image: s.image,
    imagePullPolicy: 'IfNotPresent',
    ports: [{ name: 'http', containerPort: PLATFORM.httpPort, protocol: 'TCP' }],
    envFrom: [{ configMapRef: { name: 'conveyor-common' } }, { configMapRef: { name: s.service } }],
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      {
        name: 'OTEL_RESOURCE_ATTRIBUTES',
        value: 'k8s.pod.name=$(POD_NAME),k8s.namespace.name=$(POD_NAMESPACE),k8s.node.name=$(NODE_NAME)',
      },
    ],
    startupProbe: gpu
      ? commented(GPU_STARTUP_COMMENT, gpuStartupProbe())
      : commented(
          'Start-up loads models and connects to Kafka and Redis: give it two minutes\nbefore liveness counts.',
          { httpGet: { path: '/health/live', port: 'http' }, periodSeconds: 2, failureThreshold: 60 },
        ),
    livenessProbe: {
      httpGet: { path: '/health/live', port: 'http' },
      periodSeconds: 10,
      timeoutSeconds: 3,
      failureThreshold: 3,
    },
    readinessProbe: commented('503 until ready and while draining; gates rollouts (no traffic is routed to stages).', {
      httpGet: { path: '/health/ready', port: 'http' },
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 2,
    }),
    resources: gpu
      ? gpuResources(s)
      : commented(
          s.stage.resources.cpuLimit
            ? 'From the definition: requests; the memory request is also the limit.'
            : 'From the definition: requests; the memory request is also the limit, and no CPU\nlimit, so the stage may burst onto idle cores.',
          resources(s),
        ),
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: flow(['ALL']) },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  };
  const spread = (topologyKey: string) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: { 'app.kubernetes.io/name': s.service } },
    matchLabelKeys: flow(['pod-template-hash']),
  });
  const range = replicaRange(ctx, s);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(s),
    spec: {
      replicas: commented(
        `Starting size only (the definition's replicas): with the KEDA ScaledObject (or the\nhpa-cpu component) the autoscaler owns the replica count, ${range.min} to ${range.max}.`,
        s.stage.replicas,
      ),
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector(s) },
      strategy: gpu
        ? { type: 'RollingUpdate', rollingUpdate: commented(GPU_ROLLOUT_COMMENT, gpuRollingUpdate()) }
        : {
            type: 'RollingUpdate',
            rollingUpdate: commented(
              'A new pod must be ready (models loaded, Kafka and Redis reachable) before an old one drains.',
              { maxSurge: 1, maxUnavailable: 0 },
            ),
          },
      template: {
        metadata: {
          labels: labels(s),
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(PLATFORM.httpPort),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: {
          serviceAccountName: s.service,
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: commented(
            `Longer than SHUTDOWN_GRACE_MS (${PLATFORM.shutdownGraceMs / 1000} s): SIGTERM drains in-flight work, commits\nand leaves the consumer group before the kubelet's SIGKILL.`,
            terminationGraceSeconds(),
          ),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: PLATFORM.uid,
            runAsGroup: PLATFORM.uid,
            fsGroup: PLATFORM.uid,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          ...(gpu ? GPU_SCHEDULING : {}),
          topologySpreadConstraints: [spread('topology.kubernetes.io/zone'), spread('kubernetes.io/hostname')],
          containers: [container],
          volumes: [
            commented('The only writable path (HOME=/tmp in the image).', {
              name: 'tmp',
              emptyDir: { sizeLimit: '64Mi' },
            }),
          ],
        },
      },
    },
  };
}

function configMapData(s: StageRecord): Record<string, string> {
  return {
    OTEL_SERVICE_NAME: s.otelService,
    ...s.env,
    ...(optionalGpu(s) ? { ORT_EXECUTION_PROVIDERS: 'cpu' } : {}),
    ...(requiredGpu(s) ? s.gpuEnv : {}),
  };
}

function stageFiles(ctx: DeployContext, s: StageRecord): K8sFiles {
  const dir = `base/${s.service}`;
  const definition = `pipelines/${s.pipeline.name}/pipeline.ts`;
  const files: K8sFiles = {};
  files[`${dir}/kustomization.yaml`] = yamlFile(
    header(
      wrap(`Stage ${describeStage(s)} (app ${s.app}).`) +
        `\n${wrap(`It ${flowOf(s)}; its dead letters go to ${s.inputTopic}.dlq.`)}`,
    ),
    [
      {
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: [
          'serviceaccount.yaml',
          'configmap.yaml',
          'deployment.yaml',
          'service.yaml',
          'pdb.yaml',
          'networkpolicy.yaml',
        ],
      },
    ],
  );
  files[`${dir}/serviceaccount.yaml`] = yamlFile(
    header('Own identity per stage; the stage never talks to the Kubernetes API.'),
    [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: metadata(s), automountServiceAccountToken: false }],
  );
  files[`${dir}/configmap.yaml`] = yamlFile(
    header(
      [
        `Settings of ${s.pipeline.name}/${s.stage.name} only, from its definition (${definition}): which`,
        'pipeline stage the process is, its concurrency and batching, and its own settings (the',
        'definition says why). The shared ones (brokers, Redis, OTLP, ports) are in conveyor-common.',
        'Both reach the container through envFrom; this one wins.',
        'A plain ConfigMap does not restart pods: after a change,',
        `  kubectl -n ${PLATFORM.namespace} rollout restart deployment/${s.service}`,
      ].join('\n'),
    ),
    [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(s), data: configMapData(s) }],
  );
  files[`${dir}/deployment.yaml`] = yamlFile(header(wrap(`${describeStage(s)}.`)), [deployment(ctx, s)]);
  files[`${dir}/service.yaml`] = yamlFile(
    header('Health and /metrics only: stages exchange work over Kafka, never over HTTP.'),
    [
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: metadata(s),
        spec: {
          type: 'ClusterIP',
          selector: selector(s),
          ports: [{ name: 'http', port: PLATFORM.httpPort, targetPort: 'http', protocol: 'TCP' }],
        },
      },
    ],
  );
  files[`${dir}/pdb.yaml`] = yamlFile(
    header('Voluntary disruptions (node drains) take one pod at a time; the prod overlay\nswitches to minAvailable.'),
    [
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: metadata(s),
        spec: { maxUnavailable: 1, selector: { matchLabels: selector(s) } },
      },
    ],
  );
  files[`${dir}/networkpolicy.yaml`] = yamlFile(
    header(
      [
        'In: only Prometheus (namespace `monitoring`) on the HTTP port; kubelet probes',
        'are not subject to NetworkPolicy. Out: DNS, the Strimzi brokers, Redis and the',
        'OTLP collector. Redis and the collector may live outside the cluster, so those',
        'rules name ports, not pods.',
      ].join('\n'),
    ),
    [
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: metadata(s),
        spec: {
          podSelector: { matchLabels: selector(s) },
          policyTypes: flow(['Ingress', 'Egress']),
          ingress: [
            {
              from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
              ports: [{ port: PLATFORM.httpPort, protocol: 'TCP' }],
            },
          ],
          egress: [
            {
              ports: [
                { port: 53, protocol: 'UDP' },
                { port: 53, protocol: 'TCP' },
              ],
            },
            {
              to: [
                {
                  podSelector: {
                    matchLabels: { 'strimzi.io/cluster': PLATFORM.kafkaCluster, 'strimzi.io/kind': 'Kafka' },
                  },
                },
              ],
              ports: [{ port: 9092, protocol: 'TCP' }],
            },
            { ports: [{ port: 6379, protocol: 'TCP' }] },
            {
              ports: [
                { port: 4317, protocol: 'TCP' },
                { port: 4318, protocol: 'TCP' },
              ],
            },
          ],
        },
      },
    ],
  );
  return files;
}

// ---------------------------------------------------------------- base

function kafkaTrigger(s: StageRecord, lag: number) {
  return {
    type: 'kafka',
    metadata: {
      bootstrapServers: commented(
        'Fully qualified: the KEDA operator resolves it from its own namespace.',
        KEDA_BOOTSTRAP,
      ),
      consumerGroup: s.group,
      topic: s.inputTopic,
      lagThreshold: commented('Target unprocessed messages per replica.', String(lag)),
      offsetResetPolicy: commented(
        'The stages subscribe fromBeginning: a group without offsets owes the whole topic.',
        'earliest',
      ),
    },
  };
}

function scaledObject(ctx: DeployContext, s: StageRecord) {
  const { min, max } = replicaRange(ctx, s);
  return commented(`${s.service}: ${flowOf(s)}`, {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: {
      name: s.service,
      labels: { 'app.kubernetes.io/name': s.service, 'app.kubernetes.io/part-of': 'conveyor' },
    },
    spec: {
      scaleTargetRef: { name: s.service },
      pollingInterval: 15,
      cooldownPeriod: 300,
      minReplicaCount: min,
      maxReplicaCount: commented(
        "The definition's maxReplicas, never more than the input topic's partitions: an extra consumer would sit idle.",
        max,
      ),
      fallback: commented('If KEDA cannot read the lag, hold a safe size instead of freezing or collapsing.', {
        failureThreshold: 3,
        replicas: clamp(2, min, max),
      }),
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: {
            scaleDown: commented('Scale-down costs a rebalance and a model load on the way back up: go slowly.', {
              stabilizationWindowSeconds: 300,
              policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }],
            }),
          },
        },
      },
      triggers: [kafkaTrigger(s, lagThreshold(s))],
    },
  });
}

function baseFiles(ctx: DeployContext, stages: StageRecord[]): K8sFiles {
  const files: K8sFiles = {};
  files['base/kustomization.yaml'] = yamlFile(
    header(
      [
        `Conveyor on Kubernetes: the stages of every pipeline (${ctx.pipelines.map((p) => p.name).join(', ')}), their topics`,
        'and their autoscaling.',
        '  kubectl apply -k k8s/overlays/dev     (or gpu, prod; see k8s/README.md)',
        'Needs in the cluster: Strimzi (KafkaTopic) with a Kafka cluster `conveyor` in',
        'this namespace, KEDA (ScaledObject), a Redis and an OTLP collector (conveyor-common).',
      ].join('\n'),
    ),
    [
      {
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        namespace: PLATFORM.namespace,
        resources: [
          'namespace.yaml',
          'common-config.yaml',
          ...stages.map((s) => s.service),
          'kafka-topics',
          'autoscaling',
        ],
        images: images(ctx, ctx.version),
      },
    ],
  );
  files['base/autoscaling/scaledobjects.yaml'] = yamlFile(
    header(
      [
        "KEDA scales each stage on its consumer group's lag on its input topic (needs KEDA",
        `>= 2.12 in the cluster), between the definition's replicas and maxReplicas. The lag`,
        `threshold reflects per-message cost: stages that run models get ${K.lagThresholdModels}, the others ${K.lagThreshold}`,
        `(a stage that always runs on a GPU: ${K.gpu.lagThreshold}, at most ${K.gpu.maxReplicas} replicas).`,
        'For CPU-based scaling without KEDA, use k8s/components/hpa-cpu.',
      ].join('\n'),
    ),
    stages.map((s) => scaledObject(ctx, s)),
  );
  return files;
}

// ---------------------------------------------------------------- components and overlays

const deleteScaledObjects = (comment?: string) => {
  const patch = {
    target: { kind: 'ScaledObject', labelSelector: 'app.kubernetes.io/part-of=conveyor' },
    patch: '$patch: delete\napiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: any',
  };
  return comment ? commented(comment, patch) : patch;
};

function gpuComponentFiles(stages: StageRecord[]): K8sFiles {
  const gpu = stages.filter(optionalGpu);
  const files: K8sFiles = {};
  const names = listing(gpu.map((s) => s.service)) || 'none';
  files['components/gpu-inference/kustomization.yaml'] = yamlFile(
    header(
      [
        `Component: run the stages whose definition says gpu: 'optional' (${names}) on an`,
        'NVIDIA GPU with the CUDA execution provider. Add to an overlay and give their apps the',
        "CUDA image's tag:",
        '  components:',
        '    - ../../components/gpu-inference',
        '  images:',
        ...[...new Set(gpu.map((s) => s.image))].flatMap((image) => [
          `    - name: ${image}`,
          '      newTag: <version>-cuda   # docker/stage.gpu.Dockerfile, APP=<app>',
        ]),
        'Needs the NVIDIA device plugin (or GPU Operator) on the GPU nodes.',
      ].join('\n'),
    ),
    [
      {
        apiVersion: 'kustomize.config.k8s.io/v1alpha1',
        kind: 'Component',
        patches: gpu.length > 0 ? [{ path: 'deployment-gpu.yaml' }, { path: 'configmap-gpu.yaml' }] : [],
      },
    ],
  );
  if (gpu.length === 0) return files;
  files['components/gpu-inference/deployment-gpu.yaml'] = yamlFile(
    header(
      [
        'One GPU per pod of each GPU stage, scheduled only onto GPU nodes. The node label is',
        "the one NVIDIA GPU Feature Discovery sets; change it to your node pool's label if you",
        "label nodes yourself. Clusters whose default container runtime is not NVIDIA's also",
        'need `runtimeClassName: nvidia` here.',
      ].join('\n'),
    ),
    gpu.map((s) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: s.service },
      spec: {
        strategy: commented(GPU_ROLLOUT_COMMENT, { rollingUpdate: gpuRollingUpdate() }),
        template: {
          spec: {
            ...GPU_SCHEDULING,
            containers: [
              {
                name: s.service,
                startupProbe: commented(GPU_STARTUP_COMMENT, gpuStartupProbe()),
                resources: gpuResources(s),
              },
            ],
          },
        },
      },
    })),
  );
  files['components/gpu-inference/configmap-gpu.yaml'] = yamlFile(
    header(
      [
        'CUDA first, CPU as the fallback for operators CUDA lacks; batches large enough to pay',
        'off on a GPU (on CPU they do not), and enough messages in flight to fill them.',
      ].join('\n'),
    ),
    gpu.map((s) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: s.service }, data: s.gpuEnv })),
  );
  return files;
}

function hpaFiles(ctx: DeployContext, stages: StageRecord[]): K8sFiles {
  return {
    'components/hpa-cpu/hpa.yaml': yamlFile(
      header(
        [
          'CPU-based alternative to the KEDA ScaledObjects, for clusters without KEDA.',
          'Weaker signal than consumer lag: a stage waiting on a slow downstream or on',
          'Kafka shows little CPU while its backlog grows. Utilization is relative to',
          "the containers' CPU requests.",
        ].join('\n'),
      ),
      stages.map((s) => {
        const { min, max } = replicaRange(ctx, s);
        return {
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: {
            namespace: commented(
              "Explicit: resources a component adds miss the base's namespace transformer.",
              PLATFORM.namespace,
            ),
            name: s.service,
            labels: { 'app.kubernetes.io/name': s.service, 'app.kubernetes.io/part-of': 'conveyor' },
          },
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: s.service },
            minReplicas: min,
            maxReplicas: commented("No more than the input topic's partitions: an extra consumer would sit idle.", max),
            metrics: [
              { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
            ],
            behavior: {
              scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
            },
          },
        };
      }),
    ),
  };
}

function devFiles(ctx: DeployContext): K8sFiles {
  return {
    'overlays/dev/kustomization.yaml': yamlFile(
      header(
        [
          'Development cluster (kind, minikube, a laptop): one replica per stage, small',
          'resource requests, debug logs, single-broker topics, no autoscaling.',
          '  kubectl apply -k k8s/overlays/dev',
        ].join('\n'),
      ),
      [
        {
          apiVersion: 'kustomize.config.k8s.io/v1beta1',
          kind: 'Kustomization',
          resources: ['../../base'],
          images: images(ctx, 'dev'),
          patches: [
            {
              target: { kind: 'Deployment', labelSelector: 'app.kubernetes.io/part-of=conveyor' },
              path: 'deployment-small.yaml',
            },
            { target: { kind: 'KafkaTopic' }, path: 'topic-single-broker.yaml' },
            { path: 'common-config-debug.yaml' },
            deleteScaledObjects('Fixed at one replica: no KEDA needed in a dev cluster.'),
          ],
        },
      ],
    ),
  };
}

function gpuOverlayFiles(ctx: DeployContext, stages: StageRecord[]): K8sFiles {
  const gpu = stages.filter(optionalGpu);
  const apps = [...new Set(gpu.map((s) => s.app))];
  const files: K8sFiles = {};
  files['overlays/gpu/kustomization.yaml'] = yamlFile(
    header(
      [
        `The stages with gpu: 'optional' (${listing(gpu.map((s) => s.service)) || 'none'}) on NVIDIA GPUs (CUDA`,
        'execution provider); the other stages as in base.',
        '  kubectl apply -k k8s/overlays/gpu',
        'Their images are the CUDA variants (docker/stage.gpu.Dockerfile), tagged <version>-cuda.',
      ].join('\n'),
    ),
    [
      {
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: ['../../base'],
        components: ['../../components/gpu-inference'],
        images: images(ctx, `${ctx.version}-cuda`, apps),
        patches: gpu.length > 0 ? [{ path: 'scaledobjects-gpu.yaml' }] : [],
      },
    ],
  );
  if (gpu.length > 0) {
    files['overlays/gpu/scaledobjects-gpu.yaml'] = yamlFile(
      header(
        [
          'One GPU replica works through far more messages than a CPU one, so it takes a',
          'longer queue before another GPU is worth claiming; GPUs are scarce, so cap them.',
        ].join('\n'),
      ),
      gpu.map((s) => {
        const { min, max } = replicaRange(ctx, s);
        return {
          apiVersion: 'keda.sh/v1alpha1',
          kind: 'ScaledObject',
          metadata: { name: s.service },
          spec: {
            minReplicaCount: min,
            maxReplicaCount: Math.max(min, Math.min(max, K.gpu.maxReplicas)),
            fallback: { failureThreshold: 3, replicas: min },
            triggers: [
              {
                type: 'kafka',
                metadata: {
                  bootstrapServers: KEDA_BOOTSTRAP,
                  consumerGroup: s.group,
                  topic: s.inputTopic,
                  lagThreshold: String(K.gpu.lagThreshold),
                  offsetResetPolicy: 'earliest',
                },
              },
            ],
          },
        };
      }),
    );
  }
  return files;
}

function prodFiles(ctx: DeployContext, stages: StageRecord[]): K8sFiles {
  const files: K8sFiles = {};
  const modelStages = stages.filter((s) => s.stage.models.length > 0 && !requiredGpu(s));
  files['overlays/prod/kustomization.yaml'] = yamlFile(
    header(
      [
        `Production: ${K.prodPartitions} partitions per pipeline topic (unless its definition says otherwise),`,
        `at least ${K.prodMinReplicas} replicas per stage, PDBs that keep two pods per stage through node drains,`,
        'requests equal to limits for the stages that run models (never throttled below',
        'their share, never the first evicted).',
        '  kubectl apply -k k8s/overlays/prod',
        'GPU stages in production: add ../../components/gpu-inference (see k8s/README.md).',
      ].join('\n'),
    ),
    [
      {
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: ['../../base'],
        images: images(ctx, ctx.version),
        replicas: commented(
          'Starting sizes; KEDA then moves them between minReplicaCount and maxReplicaCount.',
          stages.map((s) => ({ name: s.service, count: replicaRange(ctx, s, true).min })),
        ),
        patches: [
          ...(modelStages.length > 0 ? [{ path: 'resources.yaml' }] : []),
          {
            target: { kind: 'PodDisruptionBudget', labelSelector: 'app.kubernetes.io/part-of=conveyor' },
            path: 'pdb-min-available.yaml',
          },
          { path: 'scaledobjects.yaml' },
          {
            target: {
              kind: 'KafkaTopic',
              labelSelector: 'app.kubernetes.io/component=pipeline-topic,conveyor/partitions=default',
            },
            path: 'topic-partitions.yaml',
          },
        ],
      },
    ],
  );
  if (modelStages.length > 0) {
    files['overlays/prod/resources.yaml'] = yamlFile(
      header(
        [
          'The stages that run models get limits equal to their requests (Guaranteed QoS):',
          'their CPU share is theirs alone, and they are the last evicted under memory pressure.',
        ].join('\n'),
      ),
      modelStages.map((s) => {
        const r = s.stage.resources;
        const cpu = r.cpuLimit ?? r.cpu;
        return {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: s.service },
          spec: {
            template: {
              spec: {
                containers: [
                  {
                    name: s.service,
                    resources: { requests: { cpu, memory: r.memory }, limits: { cpu, memory: r.memory } },
                  },
                ],
              },
            },
          },
        };
      }),
    );
  }
  files['overlays/prod/scaledobjects.yaml'] = yamlFile(
    header(
      [
        `At least ${K.prodMinReplicas} replicas (PDB minAvailable 2 leaves room for a drain), at most the definition's`,
        `maxReplicas and never more than the input topic's partitions (${K.prodPartitions}, topic-partitions.yaml).`,
      ].join('\n'),
    ),
    stages.map((s) => {
      const { min, max } = replicaRange(ctx, s, true);
      return {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'ScaledObject',
        metadata: { name: s.service },
        spec: { minReplicaCount: min, maxReplicaCount: max, fallback: { replicas: min } },
      };
    }),
  );
  files['overlays/prod/topic-partitions.yaml'] = yamlFile(
    header(
      [
        "Partitions cap a stage's useful replicas. Strimzi can add partitions but never",
        'remove them, and adding moves keys to other partitions: size them up front.',
        'Only topics whose definition names no partition count (label conveyor/partitions=default).',
      ].join('\n'),
    ),
    [
      [
        {
          op: 'replace',
          path: '/spec/partitions',
          value: trailing(K.prodPartitions, 'scaledobjects.yaml caps replicas at this'),
        },
      ],
    ],
  );
  return files;
}

/** Every generated file under k8s/, by its path below k8s/. */
export function renderK8s(ctx: DeployContext): K8sFiles {
  const stages = stageRecords(ctx);
  const files: K8sFiles = {};
  for (const s of stages) Object.assign(files, stageFiles(ctx, s));
  Object.assign(
    files,
    baseFiles(ctx, stages),
    gpuComponentFiles(stages),
    hpaFiles(ctx, stages),
    devFiles(ctx),
    gpuOverlayFiles(ctx, stages),
    prodFiles(ctx, stages),
  );
  return files;
}
