import 'reflect-metadata';
import { loadOcrStageConfigOrExit, ocrStageHooks, ocrStageModule } from '@conveyor/ocr-pipeline';
import { runStage } from '@conveyor/stage-runtime';

// The features stage service: configuration from the environment (validated, fail fast), then the runtime.
const { settings, options } = loadOcrStageConfigOrExit('features', process.env);
void runStage(ocrStageModule('features', settings, options), ocrStageHooks);
