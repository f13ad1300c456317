export { stageGenerator } from './generators/stage/generator';
export type { StageGeneratorSchema } from './generators/stage/schema';
export * from './generators/stage/pipeline-source';
