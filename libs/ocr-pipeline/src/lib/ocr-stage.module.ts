import type { OcrStageName } from '@conveyor/contracts';
import { ObservabilityModule, StageTelemetry, traceLogMixin } from '@conveyor/observability';
import {
  createStageLogger,
  ReadinessRegistry,
  STAGE_LOGGER,
  STAGE_REDIS,
  type StageHooks,
  type StageLogger,
  StageRuntimeModule,
  type StageRuntimeSettings,
} from '@conveyor/stage-runtime';
import { Module, type Provider, type Type } from '@nestjs/common';
import type Redis from 'ioredis';
import { OcrDictionary } from './dictionary';
import { FailedResultHook } from './failed-result.hook';
import { ModelReadiness } from './model-readiness';
import { ResultStore } from './result-store';
import { FeaturesStage } from './stages/features.stage';
import { InferenceStage } from './stages/inference.stage';
import { PostprocessStage } from './stages/postprocess.stage';
import { PreprocessStage } from './stages/preprocess.stage';
import { OCR_STAGE_OPTIONS, type OcrStageOptions } from './tokens';

/** The handler class of each stage (names and input topics: `OcrStageInputs` in the contracts). */
export const OCR_STAGES: Record<OcrStageName, Type<unknown>> = {
  preprocess: PreprocessStage,
  features: FeaturesStage,
  inference: InferenceStage,
  postprocess: PostprocessStage,
};

/**
 * The Nest module of one OCR stage process: the runtime, the stage's handler,
 * and what every stage shares (result store, failed results for dead letters,
 * model readiness). Each app's main.ts is `runStage(ocrStageModule(...))`.
 */
/** What every OCR stage plugs into the runtime: failed results for dead-lettered requests, tracing and metrics. */
export const ocrStageHooks: StageHooks = { deadLetterHook: FailedResultHook, observer: StageTelemetry };

export function ocrStageModule(stage: OcrStageName, settings: StageRuntimeSettings, options: OcrStageOptions): Type<unknown> {
  const providers: Provider[] = [
    { provide: OCR_STAGE_OPTIONS, useValue: options },
    {
      provide: ResultStore,
      inject: [STAGE_REDIS],
      useFactory: (redis: Redis) => new ResultStore(redis, options.resultTtlSeconds),
    },
    FailedResultHook,
    {
      provide: ModelReadiness,
      inject: [ReadinessRegistry, STAGE_LOGGER],
      useFactory: (registry: ReadinessRegistry, logger: StageLogger) =>
        new ModelReadiness(registry, logger, stage === 'features' || stage === 'inference'),
    },
  ];
  if (stage === 'postprocess') {
    providers.push({ provide: OcrDictionary, useFactory: () => OcrDictionary.load(options.modelDir) });
  }

  @Module({
    imports: [
      // Every log line carries the trace, span and request ids of the message being worked on.
      StageRuntimeModule.forRoot(settings, createStageLogger(stage, settings.logLevel, { mixin: traceLogMixin })),
      ObservabilityModule.forStage(stage),
    ],
    controllers: [OCR_STAGES[stage]],
    providers,
  })
  class OcrStageModule {}
  return OcrStageModule;
}
