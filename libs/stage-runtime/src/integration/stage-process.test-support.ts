/*
 * Run as a child process by stage-process.int.spec.ts: a stage's main.ts
 * (runStage) whose handler never finishes. STAGE_SETTINGS holds the settings
 * as JSON; STAGE_FAULT picks a fault:
 * - `crash`: eachBatch throws a TypeError, which kafkajs treats as fatal (it
 *   does not restart the consumer);
 * - `stuck-shutdown`: a provider's shutdown hook never returns, so closing the
 *   app hangs after the drain.
 * Each handler start prints `HANDLER_STARTED <offset>` on stdout.
 */
import { Controller, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { runStage, StageHandler, StageRuntimeModule, type StageMessage, type StageRuntimeSettings, type StartStageOptions } from '../index';
import { faultyKafka } from './faulty-kafka.test-support';

const settings = JSON.parse(process.env['STAGE_SETTINGS'] ?? '{}') as StageRuntimeSettings;
const fault = process.env['STAGE_FAULT'] ?? '';

@Controller()
class NeverFinishingStage {
  @StageHandler('hang.in')
  handle(@Payload() message: StageMessage): Promise<never> {
    process.stdout.write(`HANDLER_STARTED ${message.origin.offset}\n`);
    return new Promise<never>(() => undefined);
  }
}

@Injectable()
class ShutdownHook implements OnApplicationShutdown {
  onApplicationShutdown(): Promise<void> | undefined {
    return fault === 'stuck-shutdown' ? new Promise<void>(() => undefined) : undefined;
  }
}

@Module({ imports: [StageRuntimeModule.forRoot(settings)], controllers: [NeverFinishingStage], providers: [ShutdownHook] })
class NeverFinishingModule {}

const options: StartStageOptions =
  fault === 'crash'
    ? {
        kafka: faultyKafka({
          beforeEachBatch: () => {
            throw new TypeError('injected: a bug in eachBatch');
          },
        }),
      }
    : {};

void runStage(NeverFinishingModule, {}, options);
