import 'reflect-metadata';
import { loadOcrStageConfigOrExit, ocrStageHooks, ocrStageModule } from '@conveyor/ocr-pipeline';
import { runStage } from '@conveyor/stage-runtime';

// The postprocess stage service: configuration from the environment (validated, fail fast), then the runtime.
const { settings, options } = loadOcrStageConfigOrExit('postprocess', process.env);
void runStage(ocrStageModule('postprocess', settings, options), ocrStageHooks);
