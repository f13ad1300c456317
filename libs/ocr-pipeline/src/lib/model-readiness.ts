import type { ReadinessRegistry, StageLogger } from '@conveyor/stage-runtime';

/** Readiness check "model": false until the stage's ONNX sessions are loaded (stages without models start ready). */
export class ModelReadiness {
  private ready: boolean;

  constructor(
    registry: ReadinessRegistry,
    private readonly logger: StageLogger,
    hasModels: boolean,
  ) {
    this.ready = !hasModels;
    registry.register('model', () => this.ready);
  }

  loaded(models: string, providers: Record<string, string>): void {
    this.ready = true;
    this.logger.info({ models, providers }, 'models loaded');
  }
}
