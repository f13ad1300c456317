import 'reflect-metadata';
import { loadOcrStageConfigOrExit, ocrStageHooks, ocrStageModule } from '@conveyor/ocr-pipeline';
import { runStage } from '@conveyor/stage-runtime';

// The preprocess stage service: configuration from the environment (validated, fail fast), then the runtime.
const { settings, options } = loadOcrStageConfigOrExit('preprocess', process.env);
void runStage(ocrStageModule('preprocess', settings, options), ocrStageHooks);
