import 'reflect-metadata';
import { loadOcrStageConfigOrExit, ocrStageHooks, ocrStageModule } from '@conveyor/ocr-pipeline';
import { runStage } from '@conveyor/stage-runtime';

// The inference stage service: configuration from the environment (validated, fail fast), then the runtime.
const { settings, options } = loadOcrStageConfigOrExit('inference', process.env);
void runStage(ocrStageModule('inference', settings, options), ocrStageHooks);
