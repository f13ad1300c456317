#!/usr/bin/env python3
"""Schema-free invariants of Conveyor's rendered deployment files.

Called by tools/deploy/validate.sh; needs only Python 3 and PyYAML.

  check_manifests.py k8s RENDERED.yaml [--expect TRAITS]    TRAITS: comma list of base,dev,gpu,prod,hpa
  check_manifests.py compose RENDERED.yaml [--expect gpu]
  check_manifests.py compose-source COMPOSE.yaml...        the files as written, for podman-compose 1.0.3
  check_manifests.py dockerfiles DOCKER_DIR
  check_manifests.py observability DOCKER_DIR

Each prints one line per problem and exits 1 if there was any. The rules are the
stage services' contracts (HTTP port and probes, shutdown, hardening, topics and
consumer groups from the pipeline definitions): what a typo or a careless patch
would break without any tool noticing.

The stages, apps and topics to expect come from k8s/stages.json, which
`npm run generate` writes from the pipeline definitions (pipelines/*/pipeline.ts)
along with the files checked here; CONVEYOR_STAGES_JSON names another copy.
"""
import json
import os
import re
import sys
from pathlib import Path

import yaml

STAGES_JSON = Path(os.environ.get('CONVEYOR_STAGES_JSON') or Path(__file__).resolve().parents[2] / 'k8s' / 'stages.json')
try:
    MANIFEST = json.loads(STAGES_JSON.read_text(encoding='utf-8'))
except (OSError, ValueError) as error:
    sys.exit(f'check_manifests: cannot read {STAGES_JSON} ({error}); run `npm run generate`')

# service (<pipeline>-<stage>) -> its record: pipeline, stage, app, image, group, input, outputs, gpu, batches, env, gpuEnv
STAGES = {s['service']: s for s in MANIFEST['stages']}
APPS = {a['app']: a for a in MANIFEST['apps']}
TOPICS = {t['topic']: t for t in MANIFEST['topics']}
UID = MANIFEST['uid']
HTTP_PORT = MANIFEST['httpPort']
NAMESPACE = MANIFEST['namespace']
STAGE_METRICS = [
    'conveyor_messages_consumed_total', 'conveyor_messages_produced_total', 'conveyor_messages_failed_total',
    'conveyor_messages_dead_lettered_total', 'conveyor_stage_duration_seconds_bucket',
    'conveyor_model_run_seconds_bucket', 'conveyor_batch_size_bucket', 'conveyor_consumer_lag', 'conveyor_in_flight',
]

problems = []


def problem(where, message):
    problems.append(f'{where}: {message}')


def dig(obj, *path, default=None):
    for key in path:
        if isinstance(obj, dict) and key in obj:
            obj = obj[key]
        elif isinstance(obj, list) and isinstance(key, int) and -len(obj) <= key < len(obj):
            obj = obj[key]
        else:
            return default
    return obj


def load_all(path):
    with open(path, encoding='utf-8') as f:
        return [d for d in yaml.safe_load_all(f) if d]


def parse_millis(value):
    try:
        return int(str(value))
    except ValueError:
        return None


# ---------------------------------------------------------------- Kubernetes

def check_k8s(path, expect):
    docs = load_all(path)
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d['kind'], {})[d['metadata']['name']] = d
        ns = d['metadata'].get('namespace')
        if d['kind'] != 'Namespace' and ns != NAMESPACE:
            problem(f"{d['kind']}/{d['metadata']['name']}", f'namespace is {ns!r}, expected {NAMESPACE!r}')
    deployments = by_kind.get('Deployment', {})

    if set(deployments) != set(STAGES):
        problem('Deployments', f'found {sorted(deployments)}, expected {sorted(STAGES)}')
    for service, record in STAGES.items():
        if service in deployments:
            check_deployment(service, record, deployments[service], by_kind, expect)
    check_topics(by_kind.get('KafkaTopic', {}), expect)
    check_autoscaling(by_kind, expect)


def on_gpu(record, expect):
    """Whether this rendering puts the stage on a GPU: always when required, with the gpu traits when optional."""
    return record['gpu'] == 'required' or (record['gpu'] == 'optional' and 'gpu' in expect)


def check_deployment(stage, record, dep, by_kind, expect):
    where = f'Deployment/{stage}'
    pod = dig(dep, 'spec', 'template', 'spec', default={})
    pod_labels = dig(dep, 'spec', 'template', 'metadata', 'labels', default={}) or {}
    selector = dig(dep, 'spec', 'selector', 'matchLabels', default={}) or {}
    if not selector or any(pod_labels.get(k) != v for k, v in selector.items()):
        problem(where, f'selector {selector} does not match pod labels {pod_labels}')
    annotations = dig(dep, 'spec', 'template', 'metadata', 'annotations', default={}) or {}
    if annotations.get('prometheus.io/scrape') != 'true' or annotations.get('prometheus.io/port') != str(HTTP_PORT) \
            or annotations.get('prometheus.io/path') != '/metrics':
        problem(where, f'prometheus scrape annotations missing or wrong: {annotations}')
    if not pod.get('topologySpreadConstraints'):
        problem(where, 'no topologySpreadConstraints')
    psc = pod.get('securityContext', {}) or {}
    if psc.get('runAsNonRoot') is not True or psc.get('runAsUser') != UID \
            or dig(psc, 'seccompProfile', 'type') != 'RuntimeDefault':
        problem(where, f'pod securityContext must run as non-root uid {UID} with RuntimeDefault seccomp: {psc}')
    sa = pod.get('serviceAccountName')
    if sa != stage or sa not in by_kind.get('ServiceAccount', {}):
        problem(where, f'serviceAccountName {sa!r} is not the ServiceAccount {stage!r}')

    containers = pod.get('containers', [])
    if len(containers) != 1:
        problem(where, f'expected one container, found {len(containers)}')
        return
    c = containers[0]
    image = c.get('image', '')
    m = re.fullmatch(re.escape(record['image']) + r':([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})', image)
    if not m:
        problem(where, f"image {image!r} is not {record['image']}:<tag> (app {record['app']})")
    elif on_gpu(record, expect) and not m.group(1).endswith('-cuda'):
        problem(where, f'a GPU stage must use the CUDA image (tag ending -cuda), got {image!r}')
    ports = {p.get('name'): p.get('containerPort') for p in c.get('ports', [])}
    if ports.get('http') != HTTP_PORT:
        problem(where, f'container port "http" must be {HTTP_PORT}: {ports}')
    for probe, path in (('livenessProbe', '/health/live'), ('readinessProbe', '/health/ready'),
                        ('startupProbe', '/health/live')):
        got = dig(c, probe, 'httpGet', 'path')
        port = dig(c, probe, 'httpGet', 'port')
        if got != path or port not in ('http', HTTP_PORT):
            problem(where, f'{probe} must GET {path} on the http port, got {got!r} on {port!r}')
    res = c.get('resources', {}) or {}
    # No CPU limit is allowed (a stage may burst onto idle cores); memory is always bounded.
    for kind, names in (('requests', ('cpu', 'memory')), ('limits', ('memory',))):
        for r in names:
            if r not in (res.get(kind) or {}):
                problem(where, f'resources.{kind}.{r} missing')
    sc = c.get('securityContext', {}) or {}
    if sc.get('readOnlyRootFilesystem') is not True or sc.get('allowPrivilegeEscalation') is not False \
            or sc.get('runAsNonRoot') is not True or dig(sc, 'capabilities', 'drop') != ['ALL'] \
            or dig(sc, 'seccompProfile', 'type') != 'RuntimeDefault':
        problem(where, f'container securityContext is not hardened: {sc}')
    mounts = {v.get('mountPath'): v.get('name') for v in c.get('volumeMounts', [])}
    volumes = {v.get('name'): v for v in pod.get('volumes', [])}
    tmp = volumes.get(mounts.get('/tmp'))
    if not tmp or 'emptyDir' not in tmp:
        problem(where, '/tmp must be an emptyDir mount (the only writable path)')

    # Configuration: every envFrom ConfigMap exists; the grace period outlasts the drain.
    env = {}
    for ref in c.get('envFrom', []):
        name = dig(ref, 'configMapRef', 'name')
        cm = by_kind.get('ConfigMap', {}).get(name)
        if cm is None:
            problem(where, f'envFrom ConfigMap {name!r} does not exist')
        else:
            env.update(cm.get('data', {}) or {})
    grace_ms = parse_millis(env.get('SHUTDOWN_GRACE_MS', '30000'))
    tgps = pod.get('terminationGracePeriodSeconds')
    if grace_ms is None or not isinstance(tgps, int) or tgps * 1000 <= grace_ms:
        problem(where, f'terminationGracePeriodSeconds {tgps} must exceed SHUTDOWN_GRACE_MS {env.get("SHUTDOWN_GRACE_MS")}')
    if env.get('HTTP_PORT') != str(HTTP_PORT):
        problem(where, f'HTTP_PORT must be {HTTP_PORT}, got {env.get("HTTP_PORT")!r}')
    for key in ('KAFKA_BROKERS', 'REDIS_URL', 'LOG_LEVEL', 'OTEL_EXPORTER_OTLP_ENDPOINT'):
        if not env.get(key):
            problem(where, f'{key} is not configured')
    if env.get('OTEL_SERVICE_NAME') != f'conveyor-{stage}':
        problem(where, f'OTEL_SERVICE_NAME must be conveyor-{stage}, got {env.get("OTEL_SERVICE_NAME")!r}')
    check_stage_env(where, record, env, expect)

    # Companions: Service, PDB and NetworkPolicy select exactly these pods.
    for kind, sel_path in (('Service', ('spec', 'selector')),
                           ('PodDisruptionBudget', ('spec', 'selector', 'matchLabels')),
                           ('NetworkPolicy', ('spec', 'podSelector', 'matchLabels'))):
        obj = by_kind.get(kind, {}).get(stage)
        if obj is None:
            problem(where, f'no {kind} named {stage}')
            continue
        sel = dig(obj, *sel_path, default={}) or {}
        if sel != selector:
            problem(f'{kind}/{stage}', f'selector {sel} differs from the Deployment selector {selector}')
    pdb = by_kind.get('PodDisruptionBudget', {}).get(stage)
    if pdb is not None:
        spec = pdb.get('spec', {})
        if ('minAvailable' in spec) == ('maxUnavailable' in spec):
            problem(f'PodDisruptionBudget/{stage}', 'needs exactly one of minAvailable / maxUnavailable')
        if 'prod' in expect and 'minAvailable' not in spec:
            problem(f'PodDisruptionBudget/{stage}', 'prod uses minAvailable')
    np = by_kind.get('NetworkPolicy', {}).get(stage)
    if np is not None:
        ports = {p.get('port') for rule in dig(np, 'spec', 'egress', default=[]) for p in rule.get('ports', [])}
        for port in (53, 9092, 6379):
            if port not in ports:
                problem(f'NetworkPolicy/{stage}', f'egress to port {port} is not allowed')

    # Overlay expectations.
    if 'dev' in expect:
        if dig(dep, 'spec', 'replicas') != 1:
            problem(where, 'dev runs one replica')
        if env.get('LOG_LEVEL') != 'debug':
            problem(where, 'dev logs at debug')
    gpu = dig(res, 'limits', 'nvidia.com/gpu')
    providers = env.get('ORT_EXECUTION_PROVIDERS', '')
    if on_gpu(record, expect):
        if str(gpu) != '1':
            problem(where, f'a GPU stage needs limits nvidia.com/gpu: 1, got {gpu!r}')
        if not any(t.get('key') == 'nvidia.com/gpu' for t in pod.get('tolerations', []) or []):
            problem(where, 'a GPU stage needs a toleration for nvidia.com/gpu')
        if not pod.get('nodeSelector'):
            problem(where, 'a GPU stage needs a nodeSelector for GPU nodes')
        if providers.split(',')[0] != 'cuda':
            problem(where, f'a GPU stage must try cuda first, got ORT_EXECUTION_PROVIDERS={providers!r}')
        if record['batches'] and int(env.get('BATCH_MAX_SIZE', '1')) <= 1:
            problem(where, 'a GPU stage that batches should batch (BATCH_MAX_SIZE > 1)')
    elif gpu is not None or 'cuda' in providers:
        problem(where, f'CPU variant must not ask for a GPU (limit {gpu!r}, providers {providers!r})')


def check_stage_env(where, record, env, expect):
    """The definition's environment reaches the process (its GPU variant may override some of it)."""
    overrides = (record.get('gpuEnv') or {}) if on_gpu(record, expect) else {}
    for key, value in record['env'].items():
        want = overrides.get(key, value)
        if str(env.get(key)) != str(want):
            problem(where, f'{key} must be {want!r} (pipeline {record["pipeline"]}, stage {record["stage"]}), got {env.get(key)!r}')


def check_topics(topics, expect):
    names = {}
    for name, t in topics.items():
        where = f'KafkaTopic/{name}'
        if t.get('apiVersion') != 'kafka.strimzi.io/v1beta2':
            problem(where, f"apiVersion {t.get('apiVersion')!r}, expected kafka.strimzi.io/v1beta2")
        if dig(t, 'metadata', 'labels', 'strimzi.io/cluster') != 'conveyor':
            problem(where, 'label strimzi.io/cluster must be conveyor')
        topic = dig(t, 'spec', 'topicName') or name
        names[topic] = t
        replicas = dig(t, 'spec', 'replicas')
        isr = parse_millis(dig(t, 'spec', 'config', 'min.insync.replicas', default=1))
        if not isinstance(replicas, int) or isr is None or isr > replicas:
            problem(where, f'min.insync.replicas {isr} exceeds replicas {replicas}')
        if 'dev' in expect and replicas != 1:
            problem(where, 'dev topics have one replica (one broker)')
        spec = TOPICS.get(topic)
        if spec is not None:
            config = dig(t, 'spec', 'config', default={}) or {}
            for key, value in spec['config'].items():
                if key == 'retention.ms' and spec['deadLetter']:
                    continue
                if str(config.get(key)) != str(value):
                    problem(where, f'config {key} must be {value!r} (from the definition), got {config.get(key)!r}')
            if spec['partitions'] is not None and dig(t, 'spec', 'partitions') != spec['partitions']:
                problem(where, f"partitions must be {spec['partitions']} (from the definition), got {dig(t, 'spec', 'partitions')!r}")
    expected = set(TOPICS)
    if set(names) != expected:
        problem('KafkaTopics', f'missing {sorted(expected - set(names))}, unexpected {sorted(set(names) - expected)}')
    return names


def check_autoscaling(by_kind, expect):
    deployments = by_kind.get('Deployment', {})
    topics = {dig(t, 'spec', 'topicName') or n: t for n, t in by_kind.get('KafkaTopic', {}).items()}
    scaled = by_kind.get('ScaledObject', {})
    hpas = by_kind.get('HorizontalPodAutoscaler', {})
    targets = {}
    for name, so in scaled.items():
        where = f'ScaledObject/{name}'
        target = dig(so, 'spec', 'scaleTargetRef', 'name')
        targets.setdefault(target, []).append(where)
        if target not in deployments:
            problem(where, f'scales {target!r}, which is not a Deployment here')
            continue
        triggers = dig(so, 'spec', 'triggers', default=[])
        kafka = [t for t in triggers if t.get('type') == 'kafka']
        if not kafka:
            problem(where, 'no kafka trigger')
        for t in kafka:
            md = t.get('metadata', {})
            record = STAGES.get(target, {})
            if md.get('consumerGroup') != record.get('group'):
                problem(where, f"consumerGroup {md.get('consumerGroup')!r}, expected {record.get('group')!r}")
            if md.get('topic') != record.get('input'):
                problem(where, f"topic {md.get('topic')!r} is not {target}'s input {record.get('input')!r}")
            if not str(md.get('lagThreshold', '')).isdigit():
                problem(where, f"lagThreshold must be a positive integer string, got {md.get('lagThreshold')!r}")
            if not re.fullmatch(r'[a-z0-9.-]+\.svc(\.[a-z0-9.-]+)?:\d+(,.+)?', str(md.get('bootstrapServers', ''))):
                problem(where, 'bootstrapServers must be fully qualified (<svc>.<ns>.svc:port): '
                               'the KEDA operator resolves it from its own namespace')
            partitions = dig(topics.get(md.get('topic'), {}), 'spec', 'partitions')
            max_rc = dig(so, 'spec', 'maxReplicaCount')
            if isinstance(partitions, int) and isinstance(max_rc, int) and max_rc > partitions:
                problem(where, f'maxReplicaCount {max_rc} exceeds the {partitions} partitions of {md.get("topic")}')
    for name, hpa in hpas.items():
        target = dig(hpa, 'spec', 'scaleTargetRef', 'name')
        targets.setdefault(target, []).append(f'HorizontalPodAutoscaler/{name}')
        if target not in deployments:
            problem(f'HorizontalPodAutoscaler/{name}', f'scales {target!r}, which is not a Deployment here')
    for target, who in targets.items():
        if len(who) > 1:
            problem(f'Deployment/{target}', f'scaled by more than one autoscaler: {who}')
    if not expect & {'hpa', 'dev'} and set(scaled) != set(STAGES):
        problem('ScaledObjects', f'found {sorted(scaled)}, expected one per stage')
    if 'hpa' in expect and (scaled or set(hpas) != set(STAGES)):
        problem('autoscaling', f'hpa-cpu expects HPAs for every stage and no ScaledObject; found {sorted(hpas)} / {sorted(scaled)}')
    if 'dev' in expect and (scaled or hpas):
        problem('autoscaling', 'dev runs fixed single replicas, no autoscalers')


# ---------------------------------------------------------------- Compose

OBSERVABILITY = {'otel-collector', 'jaeger', 'prometheus', 'grafana'}

def check_compose(path, expect):
    doc = load_all(path)[0]
    services = doc.get('services', {})
    kafka = services.get('kafka', {})
    kenv = kafka.get('environment', {}) or {}
    if str(kenv.get('KAFKA_AUTO_CREATE_TOPICS_ENABLE')).lower() != 'false':
        problem('compose kafka', 'auto topic creation must be off')
    if 'broker,controller' != str(kenv.get('KAFKA_PROCESS_ROLES')):
        problem('compose kafka', 'single-node KRaft needs KAFKA_PROCESS_ROLES=broker,controller')
    if 'EXTERNAL://localhost:9092' not in str(kenv.get('KAFKA_ADVERTISED_LISTENERS')):
        problem('compose kafka', 'host producers need EXTERNAL://localhost:9092 advertised')
    if not any(str(p).startswith('9092:9092') for p in kafka.get('ports', []) or []) and \
            not any(dig(p, 'published') in (9092, '9092') for p in kafka.get('ports', []) or [] if isinstance(p, dict)):
        problem('compose kafka', 'port 9092 must be published on the host')
    for name in ('topics', 'redis', 'otel-collector', 'jaeger', 'prometheus', 'grafana'):
        if name not in services:
            problem('compose', f'service {name} is missing')
    for stage, record in STAGES.items():
        s = services.get(stage)
        where = f'compose {stage}'
        if s is None:
            problem('compose', f'service {stage} is missing')
            continue
        if s.get('read_only') is not True:
            problem(where, 'read_only: true is required')
        if str(s.get('user', '')).split(':')[0] != str(UID):
            problem(where, f'user must be {UID}, got {s.get("user")!r}')
        if not any(str(t).split(':')[0] == '/tmp' for t in (s.get('tmpfs') or [])):
            problem(where, 'needs a tmpfs at /tmp')
        test = ' '.join(map(str, dig(s, 'healthcheck', 'test', default=[]) or []))
        if f'{HTTP_PORT}/health/ready' not in test:
            problem(where, f'healthcheck must probe /health/ready on {HTTP_PORT}')
        deps = s.get('depends_on', {}) or {}
        want = {'kafka': 'service_healthy', 'topics': 'service_completed_successfully', 'redis': 'service_healthy'}
        for dep, cond in want.items():
            if dig(deps, dep, 'condition') != cond:
                problem(where, f'depends_on {dep} must be {cond}')
        for dep in deps:
            if dep in OBSERVABILITY:
                problem(where, f'must not depend on {dep}: it is in the `observability` profile, which may be off')
        app = APPS[record['app']]
        gpu = on_gpu(record, expect)
        want_dockerfile = app['gpuDockerfile'] if gpu else app['dockerfile']
        dockerfile = dig(s, 'build', 'dockerfile', default='')
        if dockerfile != want_dockerfile:
            problem(where, f'builds from {dockerfile!r}, expected {want_dockerfile}')
        if not str(s.get('image', '')).startswith(record['image'] + ':'):
            problem(where, f"image {s.get('image')!r} is not {record['image']}:<tag>")
        env = s.get('environment', {}) or {}
        if env.get('OTEL_SERVICE_NAME') != f'conveyor-{stage}':
            problem(where, f"OTEL_SERVICE_NAME must be conveyor-{stage}, got {env.get('OTEL_SERVICE_NAME')!r}")
        check_stage_env(where, record, env, expect)
        devices = dig(s, 'deploy', 'resources', 'reservations', 'devices', default=[]) or []
        providers = str(env.get('ORT_EXECUTION_PROVIDERS', ''))
        if gpu:
            if not any(d.get('driver') == 'nvidia' for d in devices):
                problem(where, 'a GPU stage needs an nvidia device reservation')
            if providers.split(',')[0] != 'cuda':
                problem(where, f'a GPU stage must try cuda first, got {providers!r}')
        elif devices or 'cuda' in providers:
            problem(where, 'the CPU variant must not reserve a GPU or ask for cuda')
        if env.get('HTTP_PORT') != str(HTTP_PORT) or not env.get('KAFKA_BROKERS') or not env.get('REDIS_URL'):
            problem(where, 'HTTP_PORT=8080, KAFKA_BROKERS and REDIS_URL are required')
        grace = parse_millis(env.get('SHUTDOWN_GRACE_MS', '30000'))
        stop = str(s.get('stop_grace_period', '10s'))
        m = re.fullmatch(r'(?:(\d+)m)?(?:(\d+)s)?', stop)
        stop_s = (int(m.group(1) or 0) * 60 + int(m.group(2) or 0)) if m else 0
        if grace is None or stop_s * 1000 <= grace:
            problem(where, f'stop_grace_period {stop} must exceed SHUTDOWN_GRACE_MS {grace}')
    for name in OBSERVABILITY:
        profiles = dig(services, name, 'profiles', default=None)
        if profiles is not None and 'observability' not in profiles:
            problem(f'compose {name}', f'belongs in the `observability` profile, got {profiles!r}')
    unknown = set(services) - set(STAGES) - {'kafka', 'topics', 'redis'} - OBSERVABILITY
    if unknown:
        problem('compose', f'services that are no stage of any pipeline: {sorted(unknown)} (k8s/stages.json)')


# Words podman-compose 1.0.3 can pass through its `/bin/sh -c` join of an exec-form healthcheck (shlex leaves them unquoted).
SHELL_SAFE_WORD = re.compile(r'[\w@%+=:,./-]+', re.ASCII)
EMPTY_DEFAULT = re.compile(r'\$\{[A-Za-z_][A-Za-z0-9_]*:?-\}')


def check_compose_source(paths):
    """The compose files as written: what podman-compose 1.0.3 would get wrong without any error."""
    for path in paths:
        text = Path(path).read_text(encoding='utf-8')
        code = '\n'.join(line for line in text.splitlines() if not line.lstrip().startswith('#'))
        for m in EMPTY_DEFAULT.finditer(code):
            problem(path, f'{m.group(0)}: podman-compose 1.0.3 passes a `:-` with an empty default on literally; '
                          'write ${NAME} instead')
        doc = yaml.safe_load(text) or {}
        for name, s in (doc.get('services') or {}).items():
            test = dig(s, 'healthcheck', 'test')
            if isinstance(test, list) and test and test[0] == 'CMD':
                bad = [w for w in test[1:] if not SHELL_SAFE_WORD.fullmatch(str(w))]
                if bad:
                    problem(f'{path} {name}', f'healthcheck words {bad} need shell quoting, which podman-compose 1.0.3 '
                                              'breaks: use a script (docker/healthcheck.js) and plain arguments')


# ---------------------------------------------------------------- Dockerfiles

SHARED_START = '# ---- deps:'
SHARED_END = '# ---- build:'


def check_dockerfiles(docker_dir):
    d = Path(docker_dir)
    root = d.resolve().parent
    files = {}
    for app in APPS.values():
        files[app['app']] = root / app['dockerfile']
        if app['gpuDockerfile']:
            files[app['app'] + '.gpu'] = root / app['gpuDockerfile']
    shared = {}
    for variant, f in files.items():
        if not f.exists():
            problem(str(f), f"missing: app {variant.split('.')[0]} runs a pipeline stage (k8s/stages.json)")
            continue
        text = f.read_text(encoding='utf-8')
        stage = variant.split('.')[0]
        try:
            shared[variant] = text[text.index(SHARED_START):text.index(SHARED_END)]
        except ValueError:
            problem(str(f), f'the shared section ({SHARED_START} ... {SHARED_END}) is missing')
        lines = [line.strip() for line in text.splitlines()]
        wants = [
            'COPY package.json package-lock.json .npmrc ./',
            f'COPY apps/{stage} apps/{stage}',
            # The stage reads its pipeline definition at run time (@conveyor/pipelines).
            'COPY pipelines pipelines',
            f'USER {UID}:{UID}',
            f'EXPOSE {HTTP_PORT}',
            'STOPSIGNAL SIGTERM',
            f'CMD ["node", "dist/apps/{stage}/apps/{stage}/src/main.js"]',
        ]
        for want in wants:
            if want not in lines:
                problem(str(f), f'missing line: {want}')
        if not any(re.match(rf'RUN npx nx run {stage}:build\b', line) for line in lines):
            problem(str(f), f'does not build with `npx nx run {stage}:build`')
        froms = [line for line in lines if line.startswith('FROM ')]
        if not froms or not froms[-1].endswith('AS release'):
            problem(str(f), 'the last stage must be `release`')
        if 'HOME=/tmp' not in text:
            problem(str(f), 'HOME=/tmp is required (read-only root filesystem)')
        # npm ci must come before the sources, so the dependency layer survives source edits.
        first_ci = text.find('npm ci')
        first_src = text.find('COPY libs')
        if first_ci < 0 or first_src < 0 or first_ci > first_src:
            problem(str(f), '`npm ci` must run before the sources are copied')
        if variant.endswith('.gpu'):
            if 'ONNXRUNTIME_NODE_INSTALL=' not in text or 'libonnxruntime_providers_cuda.so' not in text:
                problem(str(f), 'must install and verify onnxruntime-node\'s CUDA provider')
            if not re.search(r'nvidia/cuda:12\.[0-9.]+-cudnn-runtime', text):
                problem(str(f), 'release base must be an nvidia/cuda 12 cudnn runtime image')
        elif 'FROM ${NODE_IMAGE} AS release' not in lines or 'ARG NODE_IMAGE=node:24-bookworm-slim' not in lines:
            problem(str(f), 'release stage must be node:24-bookworm-slim')
    variants = list(shared.items())
    for variant, text in variants[1:]:
        if text != variants[0][1]:
            problem(str(files[variant]),
                    f'deps/runtime-deps stages differ from {files[variants[0][0]]}: the images '
                    'would no longer share the cached `npm ci` layers')


# ---------------------------------------------------------------- Observability files

def check_observability(docker_dir):
    d = Path(docker_dir)
    prom = yaml.safe_load((d / 'prometheus.yml').read_text(encoding='utf-8'))
    targets = {t for job in prom.get('scrape_configs', []) for sc in job.get('static_configs', [])
               for t in sc.get('targets', [])}
    for stage in STAGES:
        if f'{stage}:{HTTP_PORT}' not in targets:
            problem('docker/prometheus.yml', f'does not scrape {stage}:{HTTP_PORT}')
    for job in prom.get('scrape_configs', []):
        for sc in job.get('static_configs', []):
            service = (sc.get('labels') or {}).get('service')
            if service is not None and service not in STAGES:
                problem('docker/prometheus.yml', f'scrapes service {service!r}, which is no stage of any pipeline')
    for job in prom.get('scrape_configs', []):
        for sc in job.get('static_configs', []):
            if 'stage' in (sc.get('labels') or {}):
                problem('docker/prometheus.yml', 'a target label `stage` would clash with the series\' own `stage`')

    otel = yaml.safe_load((d / 'otel-collector.yaml').read_text(encoding='utf-8'))
    for name, pipe in dig(otel, 'service', 'pipelines', default={}).items():
        for part in ('receivers', 'processors', 'exporters'):
            for comp in pipe.get(part, []):
                if comp not in (otel.get(part) or {}):
                    problem('docker/otel-collector.yaml', f'pipeline {name} uses undefined {part[:-1]} {comp}')
    if 'traces' not in dig(otel, 'service', 'pipelines', default={}):
        problem('docker/otel-collector.yaml', 'no traces pipeline')

    ds = yaml.safe_load((d / 'grafana/provisioning/datasources/prometheus.yaml').read_text(encoding='utf-8'))
    uids = {x.get('uid') for x in ds.get('datasources', [])}
    prov = yaml.safe_load((d / 'grafana/provisioning/dashboards/conveyor.yaml').read_text(encoding='utf-8'))
    if not prov.get('providers'):
        problem('docker/grafana/provisioning/dashboards/conveyor.yaml', 'no dashboard provider')
    dash_path = d / 'grafana/dashboards/conveyor-stages.json'
    dash = json.loads(dash_path.read_text(encoding='utf-8'))
    text = dash_path.read_text(encoding='utf-8')
    if '${DS_' in text or '__inputs' in dash:
        problem(str(dash_path), 'contains import placeholders; provisioning needs concrete datasource uids')
    exprs = []
    for panel in dash.get('panels', []):
        for target in panel.get('targets', []):
            exprs.append(target.get('expr', ''))
            uid = dig(target, 'datasource', 'uid') or dig(panel, 'datasource', 'uid')
            if uid not in uids:
                problem(str(dash_path), f"panel {panel.get('title')!r} uses datasource uid {uid!r}, provisioned: {uids}")
    for metric in STAGE_METRICS:
        if not any(metric in e for e in exprs):
            problem(str(dash_path), f'no panel shows {metric}')
    variables = {v.get('name'): v for v in dig(dash, 'templating', 'list', default=[]) or []}
    stage_values = [o.get('value') for o in dig(variables, 'stage', 'options', default=[]) or []]
    if stage_values != list(STAGES):
        problem(str(dash_path), f'variable `stage` offers {stage_values}, expected the services {list(STAGES)}')
    pipeline_values = [o.get('value') for o in dig(variables, 'pipeline', 'options', default=[]) or []]
    if pipeline_values != MANIFEST['pipelines']:
        problem(str(dash_path), f"variable `pipeline` offers {pipeline_values}, expected {MANIFEST['pipelines']}")
    ids = [p.get('id') for p in dash.get('panels', [])]
    if len(ids) != len(set(ids)):
        problem(str(dash_path), 'panel ids are not unique')


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    mode, arg = argv[1], argv[2]
    # --expect takes a comma list of overlay traits: base, dev, gpu, prod, hpa.
    expect = set(argv[4].split(',')) if len(argv) > 4 and argv[3] == '--expect' else set()
    if mode == 'k8s':
        check_k8s(arg, expect)
    elif mode == 'compose':
        check_compose(arg, expect)
    elif mode == 'compose-source':
        check_compose_source(argv[2:])
    elif mode == 'dockerfiles':
        check_dockerfiles(arg)
    elif mode == 'observability':
        check_observability(arg)
    else:
        print(f'unknown mode {mode!r}\n{__doc__}', file=sys.stderr)
        return 2
    for p in problems:
        print(f'  problem: {p}')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
