import 'reflect-metadata';
import { startTelemetry, TelemetryConfigError } from '@conveyor/observability';
import { loadOcrStageConfigOrExit, ocrStageHooks, ocrStageModule } from '@conveyor/ocr-pipeline';
import { createStageLogger, runStage } from '@conveyor/stage-runtime';

// The features stage service: validated configuration (fail fast), tracing set up before the first message, then the runtime.
const { settings, options } = loadOcrStageConfigOrExit('features', process.env);
try {
  startTelemetry({ serviceName: 'conveyor-features', logger: createStageLogger('features', settings.logLevel) });
} catch (error) {
  if (!(error instanceof TelemetryConfigError)) throw error;
  process.stderr.write(`features: ${error.message}\n`);
  process.exit(78);
}
void runStage(ocrStageModule('features', settings, options), ocrStageHooks);
