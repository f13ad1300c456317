import { ConfigError } from '@conveyor/config';
import { startTelemetry, TelemetryConfigError } from '@conveyor/observability';
import { PIPELINES } from '@conveyor/pipelines';
import { serviceName, type PipelineDefinition } from '@conveyor/pipeline';
import { createStageLogger, runStage, startStage, type RunningStage } from '@conveyor/stage-runtime';
import type { StageApp } from './define-stage';
import { loadStageConfig, type LoadedStageConfig } from './load-stage-config';
import { stageHostHooks, stageHostModule } from './stage-module';

/** EX_CONFIG: the exit code of a process refused for its configuration. */
export const EXIT_CONFIG = 78;

/** Configuration, or the list of problems on stderr and exit 78. */
function loadOrExit(app: StageApp, pipelines: readonly PipelineDefinition[], env: NodeJS.ProcessEnv): LoadedStageConfig {
  try {
    return loadStageConfig(app, pipelines, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${app.app}: ${error.message}\n`);
    process.exit(EXIT_CONFIG);
  }
}

/** Tracing before the first message (OTEL_* from the environment); a bad OTEL_* value exits 78. */
function startTelemetryOrExit(loaded: LoadedStageConfig, env: NodeJS.ProcessEnv): void {
  const { pipeline, stage } = loaded.context;
  try {
    startTelemetry({
      serviceName: env['OTEL_SERVICE_NAME'] || `conveyor-${serviceName(pipeline, stage)}`,
      env,
      logger: createStageLogger(stage.name, loaded.settings.logLevel),
    });
  } catch (error) {
    if (!(error instanceof TelemetryConfigError)) throw error;
    process.stderr.write(`${stage.name}: ${error.message}\n`);
    process.exit(EXIT_CONFIG);
  }
}

/**
 * The whole `main.ts` of a stage service: `void runStageApp(myStage)`. Finds
 * its pipeline stage (PIPELINE/STAGE), validates configuration (a bad value
 * exits 78 naming the variable), sets up tracing, then runs the stage until
 * SIGTERM, when it drains, commits and leaves its group.
 */
export async function runStageApp(app: StageApp, env: NodeJS.ProcessEnv = process.env, pipelines: readonly PipelineDefinition[] = PIPELINES): Promise<void> {
  const loaded = loadOrExit(app, pipelines, env);
  startTelemetryOrExit(loaded, env);
  await runStage(stageHostModule(app, loaded), stageHostHooks);
}

/** Starts a stage in this process (tests, tools): the same composition as runStageApp, without signal handling. */
export async function startStageApp(app: StageApp, env: NodeJS.ProcessEnv, pipelines: readonly PipelineDefinition[] = PIPELINES): Promise<RunningStage> {
  const loaded = loadStageConfig(app, pipelines, env);
  return startStage(stageHostModule(app, loaded), stageHostHooks);
}
