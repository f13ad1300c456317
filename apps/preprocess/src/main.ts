import 'reflect-metadata';
import { startTelemetry, TelemetryConfigError } from '@conveyor/observability';
import { loadOcrStageConfigOrExit, ocrStageHooks, ocrStageModule } from '@conveyor/ocr-pipeline';
import { createStageLogger, runStage } from '@conveyor/stage-runtime';

// The preprocess stage service: validated configuration (fail fast), tracing set up before the first message, then the runtime.
const { settings, options } = loadOcrStageConfigOrExit('preprocess', process.env);
try {
  startTelemetry({ serviceName: 'conveyor-preprocess', logger: createStageLogger('preprocess', settings.logLevel) });
} catch (error) {
  if (!(error instanceof TelemetryConfigError)) throw error;
  process.stderr.write(`preprocess: ${error.message}\n`);
  process.exit(78);
}
void runStage(ocrStageModule('preprocess', settings, options), ocrStageHooks);
