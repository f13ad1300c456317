import { startTelemetry, TelemetryConfigError } from '@conveyor/observability';
import { createStageLogger, runStage } from '@conveyor/stage-runtime';
import type { OcrStageName } from '@conveyor/contracts';
import { ocrStageHooks, ocrStageModule } from './ocr-stage.module';
import { loadOcrStageConfigOrExit } from './stage-config';

/**
 * The whole `main.ts` of an OCR stage service: validated configuration (a bad
 * value exits 78 naming the variable), tracing set up before the first message,
 * then the stage runtime until SIGTERM.
 */
export async function runOcrStage(stage: OcrStageName, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { settings, options } = loadOcrStageConfigOrExit(stage, env);
  try {
    startTelemetry({ serviceName: `conveyor-${stage}`, env, logger: createStageLogger(stage, settings.logLevel) });
  } catch (error) {
    if (!(error instanceof TelemetryConfigError)) throw error;
    process.stderr.write(`${stage}: ${error.message}\n`);
    process.exit(78);
  }
  await runStage(ocrStageModule(stage, settings, options), ocrStageHooks);
}
