/**
 * The rollout examples users apply with `kubectl apply -k` (README "Canary",
 * docs/architecture.md "Shadow"): each renders, every object passes the
 * Kubernetes schemas, and each keeps the promise its docs make: the canary is
 * one replica in the live consumer group, the shadow never selects live pods
 * and never writes live topics or result keys.
 */
import { join } from 'node:path';
import { ocrPipeline } from '@conveyor/pipelines';
import { topicName } from '@conveyor/pipeline';
import { REPO_ROOT } from './generate';
import { build, kustomize, schemaErrors, validateSchemas, type Obj } from './kustomize.test-support';

jest.setTimeout(120_000);

type Meta = { name: string; labels?: Record<string, string> };
const meta = (o: Obj): Meta => o['metadata'] as Meta;
const ofKind = (objects: readonly Obj[], kind: string): Obj[] => objects.filter((o) => o['kind'] === kind);
const data = (o: Obj): Record<string, string> => (o['data'] as Record<string, string> | undefined) ?? {};
const spec = (o: Obj): Record<string, unknown> => o['spec'] as Record<string, unknown>;
const deploymentSelector = (o: Obj): Record<string, string> => (spec(o)['selector'] as { matchLabels: Record<string, string> }).matchLabels;
const live = (stage: string): Obj[] => build(join(REPO_ROOT, 'k8s', 'base', `ocr-${stage}`));

const describeWithKustomize = kustomize ? describe : describe.skip;
if (!kustomize) process.stderr.write('rollout-examples.spec: neither kubectl nor kustomize is installed: the rollout examples are not rendered\n');

describeWithKustomize('docs/canary: a partition canary of ocr/inference', () => {
  let objects: Obj[];
  beforeAll(() => (objects = build(join(REPO_ROOT, 'docs', 'canary'))));

  it('passes the Kubernetes schemas', async () => {
    expect(schemaErrors(await validateSchemas(objects))).toEqual([]);
  });

  it('is one replica of its own, in the live consumer group, not selected by the live objects', () => {
    const [deployment, ...more] = ofKind(objects, 'Deployment');
    expect(more).toEqual([]);
    expect(meta(deployment!).name).toBe('ocr-inference-canary');
    expect(spec(deployment!)['replicas']).toBe(1);
    // Same PIPELINE/STAGE (and the common TOPIC_PREFIX): the same consumer group as the live stage.
    expect(data(ofKind(objects, 'ConfigMap')[0]!)).toMatchObject({ PIPELINE: 'ocr', STAGE: 'inference' });
    const liveDeployment = ofKind(live('inference'), 'Deployment')[0]!;
    expect(deploymentSelector(deployment!)).toMatchObject({ 'conveyor/track': 'canary' });
    expect(deploymentSelector(liveDeployment)['conveyor/track']).toBeUndefined();
    // Nothing scales it or protects it: rolling back is deleting it.
    expect(ofKind(objects, 'ScaledObject')).toEqual([]);
    expect(ofKind(objects, 'PodDisruptionBudget')).toEqual([]);
  });
});

describeWithKustomize('docs/shadow: a shadow of ocr/preprocess and the stages after it', () => {
  let objects: Obj[];
  beforeAll(() => (objects = build(join(REPO_ROOT, 'docs', 'shadow'))));
  const stages = ['preprocess', 'features', 'inference', 'postprocess'];

  it('passes the Kubernetes schemas', async () => {
    expect(schemaErrors(await validateSchemas(objects))).toEqual([]);
  });

  it('runs every stage from the shadowed one on, under names and selectors that never match live pods', () => {
    const deployments = ofKind(objects, 'Deployment');
    expect(deployments.map((d) => meta(d).name).sort()).toEqual(stages.map((s) => `ocr-${s}-shadow-det160`).sort());
    for (const stage of stages) {
      const shadow = deployments.find((d) => meta(d).name === `ocr-${stage}-shadow-det160`)!;
      const liveDeployment = ofKind(live(stage), 'Deployment')[0]!;
      expect(deploymentSelector(shadow)).not.toEqual(deploymentSelector(liveDeployment));
      const liveLabels = (spec(liveDeployment)['template'] as { metadata: Meta }).metadata.labels ?? {};
      // The live selector does not select shadow pods either.
      const shadowLabels = (spec(shadow)['template'] as { metadata: Meta }).metadata.labels ?? {};
      expect(Object.entries(deploymentSelector(liveDeployment)).every(([k, v]) => shadowLabels[k] === v)).toBe(false);
      expect(Object.keys(liveLabels).length).toBeGreaterThan(0);
    }
    for (const kind of ['Service', 'PodDisruptionBudget']) {
      for (const o of ofKind(objects, kind)) expect(JSON.stringify(spec(o)['selector'])).toContain('conveyor-shadow-det160');
    }
  });

  it('writes only its own topics and result keys, and reads the live input in its first stage only', () => {
    const configs = ofKind(objects, 'ConfigMap');
    expect(configs).toHaveLength(stages.length);
    for (const config of configs) {
      expect(data(config)).toMatchObject({ TOPIC_PREFIX: 'shadow.det160.', RESULT_KEY_PREFIX: 'conveyor:shadow:det160:ocr:result:' });
    }
    const inputs = configs.filter((c) => data(c)['INPUT_TOPIC'] !== undefined);
    expect(inputs.map((c) => [meta(c).name, data(c)['INPUT_TOPIC']])).toEqual([['ocr-preprocess-shadow-det160', topicName(ocrPipeline, ocrPipeline.input.topic, '')]]);
  });
});
