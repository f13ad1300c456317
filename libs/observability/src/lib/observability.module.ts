import { type DynamicModule, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { StageTelemetry } from './stage-telemetry';
import { TelemetryShutdown } from './telemetry-shutdown';
import { OBSERVABILITY_STAGE } from './tokens';

/**
 * Tracing and metrics for one stage app: provides and exports StageTelemetry
 * (the runtime's observer; stage code injects it for `modelRun`) and serves
 * GET /metrics, and flushes the last spans when the app closes. Uses the
 * global StageRuntimeModule's logger when present.
 */
@Module({})
export class ObservabilityModule {
  static forStage(stage: string): DynamicModule {
    if (!stage.trim()) throw new Error('ObservabilityModule.forStage: stage name must not be empty');
    return {
      module: ObservabilityModule,
      controllers: [MetricsController],
      providers: [{ provide: OBSERVABILITY_STAGE, useValue: stage }, StageTelemetry, TelemetryShutdown],
      exports: [StageTelemetry],
    };
  }
}
