import { appRecords, GENERATED_MARKER, PLATFORM, stageRecords, topicRecords, type DeployContext } from './model';
import { generatedHeader, lineFile } from './text';

/**
 * k8s/stages.json: what tools/deploy/check_manifests.py expects to find in the
 * rendered manifests and compose files, so the checks read the stage list
 * from the definitions instead of keeping their own.
 */
export function renderStagesManifest(ctx: DeployContext): string {
  const manifest = {
    '//': `${GENERATED_MARKER} (tools/deploy/src/manifest.ts); read by tools/deploy/check_manifests.py`,
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
 * tools/deploy/images.txt: the images tools/deploy/build-images.sh builds, one
 * app a line: `APP DOCKERFILE GPU_DOCKERFILE` (`-` when no stage of the app
 * runs on a GPU).
 */
export function renderImageList(ctx: DeployContext): string {
  const header = generatedHeader(
    'tools/deploy/src/manifest.ts',
    [
      'The images tools/deploy/build-images.sh builds, one per app that a pipeline stage runs:',
      '  APP DOCKERFILE GPU_DOCKERFILE',
      "GPU_DOCKERFILE is `-` unless a stage of the app has gpu: 'optional' or 'required'.",
    ].join('\n'),
  );
  const lines = appRecords(ctx).map((a) => `${a.app} ${a.dockerfile} ${a.gpuDockerfile ?? '-'}`);
  return lineFile(header, lines);
}
