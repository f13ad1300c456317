import { ObservabilityModule } from './observability.module';
import { MetricsController } from './metrics.controller';
import { StageTelemetry } from './stage-telemetry';
import { TelemetryShutdown } from './telemetry-shutdown';
import { OBSERVABILITY_STAGE } from './tokens';

describe('ObservabilityModule.forStage', () => {
  it('provides and exports StageTelemetry for the named stage, and serves /metrics', () => {
    const module = ObservabilityModule.forStage('inference');
    expect(module.providers).toEqual([{ provide: OBSERVABILITY_STAGE, useValue: 'inference' }, StageTelemetry, TelemetryShutdown]);
    expect(module.exports).toEqual([StageTelemetry]);
    expect(module.controllers).toEqual([MetricsController]);
  });

  it.each(['', '  '])('refuses an empty stage name %j', (stage) => {
    expect(() => ObservabilityModule.forStage(stage)).toThrow('stage name must not be empty');
  });
});
