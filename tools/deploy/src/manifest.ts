import {
  appRecords,
  GENERATED_MARKER,
  infraImages,
  PLATFORM,
  stageRecords,
  topicRecords,
  type DeployContext,
} from './model';
import { generatedHeader, lineFile } from './text';

/**
 * k8s/stages.json: the stages, apps and topics of every pipeline in one file, for
 * tools that are no TypeScript (tools/containers/e2e.sh reads the stage services
 * from it) and the checks of tools/deploy/src/invariants.ts, which expect them in
 * the rendered manifests and compose files.
 */
export function renderStagesManifest(ctx: DeployContext): string {
  const manifest = {
    '//': `${GENERATED_MARKER} (tools/deploy/src/manifest.ts); read by tools/containers/e2e.sh and tools/deploy/src/invariants.ts`,
    namespace: PLATFORM.namespace,
    httpPort: PLATFORM.httpPort,
    uid: PLATFORM.uid,
    shutdownGraceMs: PLATFORM.shutdownGraceMs,
    version: ctx.version,
    pipelines: ctx.pipelines.map((p) => p.name),
    apps: appRecords(ctx).map((a) => ({
      app: a.app,
      image: a.image,
      dockerfile: a.dockerfile,
      gpuDockerfile: a.gpuDockerfile ?? null,
    })),
    stages: stageRecords(ctx).map((s) => ({
      pipeline: s.pipeline.name,
      stage: s.stage.name,
      service: s.service,
      app: s.app,
      image: s.image,
      group: s.group,
      input: s.inputTopic,
      outputs: s.outputTopics,
      gpu: s.stage.gpu,
      batches: s.stage.batch !== undefined,
      env: s.env,
      gpuEnv: s.gpuEnv ?? null,
    })),
    topics: topicRecords(ctx).map((t) => ({
      topic: t.topic,
      pipeline: t.pipeline.name,
      deadLetter: t.deadLetter,
      partitions: t.partitions ?? null,
      config: t.config,
    })),
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * tools/deploy/images.txt: the images tools/deploy/build-images.sh builds. One
 * stage app a line, `APP DOCKERFILE GPU_DOCKERFILE` (`-` when no stage of the
 * app runs on a GPU; both built with `--build-arg APP=<app>`), then one
 * infrastructure image a line, `infra:NAME DOCKERFILE IMAGE` (Kafka, Redis:
 * the names compose.yaml runs).
 */
export function renderImageList(ctx: DeployContext): string {
  const header = generatedHeader(
    'tools/deploy/src/manifest.ts',
    [
      'The images tools/deploy/build-images.sh builds:',
      '  APP DOCKERFILE GPU_DOCKERFILE   one per app that a pipeline stage runs, built with --build-arg APP=<app>;',
      "                                  GPU_DOCKERFILE is `-` unless a stage of the app has gpu: 'optional' or 'required'",
      '  infra:NAME DOCKERFILE IMAGE     the platform services compose.yaml runs, from Debian packages and Maven Central',
    ].join('\n'),
  );
  const lines = [
    ...appRecords(ctx).map((a) => `${a.app} ${a.dockerfile} ${a.gpuDockerfile ?? '-'}`),
    ...infraImages(ctx).map((i) => `infra:${i.name} ${i.dockerfile} ${i.image}`),
  ];
  return lineFile(header, lines);
}
