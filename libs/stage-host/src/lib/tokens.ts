import type { PipelineDefinition, StageBinding, StageDefinition } from '@conveyor/pipeline';

/** The stage's own validated configuration (its `config` schema's output): `@Inject(STAGE_CONFIG)`. */
export const STAGE_CONFIG = Symbol('STAGE_CONFIG');

/** Which pipeline stage this process runs, and what follows from the definition. */
export interface PipelineStageContext {
  pipeline: PipelineDefinition;
  stage: StageDefinition;
  binding: StageBinding;
  /** RESULT_TTL_SECONDS: how long results (and what they reference) stay in Redis. */
  resultTtlSeconds: number;
}

export const PIPELINE_STAGE = Symbol('PIPELINE_STAGE');
