import { ObservabilityModule, StageTelemetry, traceLogMixin } from '@conveyor/observability';
import {
  createStageLogger,
  ReadinessRegistry,
  STAGE_LOGGER,
  STAGE_REDIS,
  type StageHooks,
  type StageLogger,
  StageRuntimeModule,
} from '@conveyor/stage-runtime';
import { Module, type Provider, type Type } from '@nestjs/common';
import type Redis from 'ioredis';
import type { StageApp } from './define-stage';
import { FailedResultHook } from './failed-result.hook';
import type { LoadedStageConfig } from './load-stage-config';
import { ModelReadiness } from './model-readiness';
import { ResultStore } from './result-store';
import { StageIdentity } from './stage-identity';
import { VersionController } from './version.controller';
import { PIPELINE_STAGE, STAGE_CONFIG } from './tokens';

/** What the host plugs into the runtime for every stage: failed results for dead letters, tracing and metrics, its versions. */
export const stageHostHooks: StageHooks = { deadLetterHook: FailedResultHook, observer: StageTelemetry, versions: StageIdentity };

/**
 * The Nest module of one stage process: the runtime (settings, Redis, health),
 * observability, the stage's handler and what it declared it needs, and what
 * every stage shares — its pipeline context, own configuration, the result
 * store, failed results for dead letters and model readiness.
 */
export function stageHostModule(app: StageApp, loaded: LoadedStageConfig): Type<unknown> {
  const { settings, context, stageConfig, identity } = loaded;
  const providers: Provider[] = [
    {
      provide: StageIdentity,
      inject: [StageTelemetry],
      useFactory: (telemetry: StageTelemetry) => {
        const stageIdentity = new StageIdentity(context.pipeline.name, context.stage.name, identity.version, identity.configHash);
        // conveyor_stage_info: set now, and again once the model files are hashed.
        stageIdentity.onChange((report) => telemetry.metrics.setStageInfo(report));
        return stageIdentity;
      },
    },
    { provide: STAGE_CONFIG, useValue: stageConfig },
    { provide: PIPELINE_STAGE, useValue: context },
    {
      provide: ResultStore,
      inject: [STAGE_REDIS],
      useFactory: (redis: Redis) => new ResultStore(redis, context.resultTtlSeconds, context.binding.resultKeyPrefix),
    },
    FailedResultHook,
    {
      provide: ModelReadiness,
      inject: [ReadinessRegistry, STAGE_LOGGER, StageIdentity],
      useFactory: (registry: ReadinessRegistry, logger: StageLogger, stageIdentity: StageIdentity) =>
        new ModelReadiness(registry, logger, context.stage.models.length > 0, stageIdentity),
    },
    ...(app.providers ?? []),
  ];

  @Module({
    imports: [
      // Every log line carries the trace, span and request ids of the message being worked on.
      StageRuntimeModule.forRoot(settings, createStageLogger(settings.stage, settings.logLevel, { mixin: traceLogMixin })),
      ObservabilityModule.forStage(settings.stage),
      ...(app.imports ?? []),
    ],
    controllers: [app.handler, VersionController],
    providers,
  })
  class StageHostModule {}
  return StageHostModule;
}
