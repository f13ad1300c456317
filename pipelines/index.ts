import { assertDistinctPipelines, type PipelineDefinition } from '@conveyor/pipeline';
import { ocrPipeline } from './ocr/pipeline';
import { redactPipeline } from './redact/pipeline';

export { ocrPipeline } from './ocr/pipeline';
export { redactPipeline } from './redact/pipeline';
export * from './ocr/contract';
export * from './redact/contract';

/**
 * Every pipeline this repository ships, in the order `npm start` starts them.
 * A new pipeline is a `pipelines/<name>/pipeline.ts` added here (the stage
 * generator adds stages to an existing one).
 */
export const PIPELINES: readonly PipelineDefinition[] = [ocrPipeline, redactPipeline];

assertDistinctPipelines(PIPELINES);
