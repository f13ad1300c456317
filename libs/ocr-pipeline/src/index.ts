export * from './lib/dictionary';
export * from './lib/stage-config';
export * from './lib/stages/features.stage';
export * from './lib/stages/inference.stage';
export * from './lib/stages/postprocess.stage';
export * from './lib/stages/preprocess.stage';
export * from './lib/tokens';
export * from './lib/wire';
