import { StageError, StageHandler, StageRuntimeModule, STAGE_LOGGER, type StageLogger, type StageMessage, type StageOutput, type StageResult, type StageRuntimeSettings } from '@conveyor/stage-runtime';
import { Controller, Inject, Module, type Type } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { Logger } from 'pino';
import { ObservabilityModule } from '../lib/observability.module';
import { StageTelemetry } from '../lib/stage-telemetry';

/**
 * A minimal stage wired the way an OCR stage is: one handler per message, one
 * batch handler, a "model" run in each, StageTelemetry as the observer and
 * the trace log mixin on the logger. Empty input is bad input (dead letter).
 */
@Controller()
export class EchoStage {
  constructor(
    private readonly telemetry: StageTelemetry,
    @Inject(STAGE_LOGGER) private readonly logger: StageLogger,
  ) {}

  @StageHandler('echo.in')
  async echo(@Payload() message: StageMessage): Promise<StageResult> {
    if (message.value.length === 0) throw new StageError('EMPTY_INPUT', 'nothing to echo');
    const value = await this.telemetry.modelRun('echo-model', 'cpu', async () => Buffer.from(message.value.toString().toUpperCase()));
    this.logger.info({}, 'echoed');
    return { topic: 'echo.out', type: 'conveyor.test.echo.v1', value };
  }

  @StageHandler('echo.batch', { batch: { maxSize: 8, maxWaitMs: 300 } })
  async echoBatch(@Payload() messages: StageMessage[]): Promise<StageOutput[]> {
    return this.telemetry.withSpansPerMessage(messages, 'echo batch', {}, async () => {
      const values = await this.telemetry.modelRun('echo-model', 'cpu', async () => messages.map((m) => Buffer.from(m.value.toString().toUpperCase())));
      return values.map((value) => ({ topic: 'echo.out', type: 'conveyor.test.echo.v1', value }));
    });
  }
}

export function echoModule(settings: StageRuntimeSettings, logger: Logger): Type<unknown> {
  @Module({
    imports: [StageRuntimeModule.forRoot(settings, logger), ObservabilityModule.forStage(settings.stage)],
    controllers: [EchoStage],
  })
  class EchoModule {}
  return EchoModule;
}
