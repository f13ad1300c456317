import type { ReadinessRegistry, StageLogger } from '@conveyor/stage-runtime';
import type { StageIdentity } from './stage-identity';

/** Readiness check "model": false until the stage's ONNX sessions are loaded (stages without models start ready). */
export class ModelReadiness {
  private ready: boolean;

  constructor(
    private readonly registry: ReadinessRegistry,
    private readonly logger: StageLogger,
    hasModels: boolean,
    private readonly identity?: StageIdentity,
  ) {
    this.ready = !hasModels;
    registry.register('model', () => this.ready);
  }

  /**
   * Loads models in the background: the stage's probes answer (live, not
   * ready) while it runs, and the stage starts consuming only once it is done.
   * `files` are the model files the loader reads: their SHA-256 become part of
   * the stage's version identity (docs/architecture.md, "Versions").
   */
  load<T>(models: string, loader: () => Promise<T>, providers: (loaded: T) => Record<string, string>, files: readonly string[] = []): Promise<T> {
    const started = performance.now();
    const hashing = this.identity?.addModelFiles(files) ?? Promise.resolve();
    const loading = Promise.all([loader(), hashing]).then(([loaded]) => {
      this.ready = true;
      this.logger.info({ models, providers: providers(loaded), ms: Math.round(performance.now() - started) }, 'models loaded');
      return loaded;
    });
    this.registry.beforeConsuming(loading);
    return loading;
  }
}
