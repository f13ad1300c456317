import { Controller, Injectable, Module, type Type } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { tensor } from '@conveyor/contracts';
import {
  ReadinessRegistry,
  StageError,
  StageHandler,
  StageRuntimeModule,
  type DeadLetterEvent,
  type DeadLetterHook,
  type StageMessage,
  type StageResult,
  type StageRuntimeSettings,
} from '../index';

/**
 * A stage that has nothing to do with OCR, used only by the runtime's tests to
 * prove the runtime serves any pipeline: text in, per-word lengths out as an
 * int32 tensor.
 */
@Controller()
export class WordCountStage {
  /** Which attempt each request id was on, so tests can see retries happen. */
  static attempts = new Map<string, number>();
  static batchSizes: number[] = [];
  /** A stand-in for loading a model at start-up (tests of readiness). */
  static startupDelayMs = 0;
  /**
   * When set, "slow" waits for this gate instead of a fixed delay, so a test
   * that probes a stage mid-drain is not racing the clock on a loaded machine.
   */
  static slowGate: Promise<void> | null = null;

  constructor(readiness: ReadinessRegistry) {
    if (WordCountStage.startupDelayMs > 0) {
      readiness.beforeConsuming(new Promise((resolve) => setTimeout(resolve, WordCountStage.startupDelayMs)));
    }
  }

  @StageHandler('words.in')
  async count(@Payload() message: StageMessage): Promise<StageResult> {
    WordCountStage.attempts.set(message.id, message.attempt);
    const text = message.value.toString('utf8');
    if (text.length === 0) throw new StageError('EMPTY_TEXT', 'the text is empty');
    // "flaky" fails on its first attempt as a transient error would.
    if (text === 'flaky' && message.attempt === 1) throw new Error('transient hiccup');
    if (text === 'slow') await (WordCountStage.slowGate ?? new Promise((resolve) => setTimeout(resolve, 1_500)));
    if (text.startsWith('big')) {
      return { topic: 'words.out', type: 'conveyor.test.words.v1', value: Buffer.alloc(4096, 7) };
    }
    const lengths = text.split(/\s+/).map((w) => w.length);
    return {
      topic: 'words.out',
      type: 'conveyor.test.words.v1',
      tensors: { tensors: { lengths: tensor('int32', [lengths.length], Int32Array.from(lengths)) }, metadata: { text } },
    };
  }

  @StageHandler('words.batch', { batch: { maxSize: 8, maxWaitMs: 100 } })
  countBatch(@Payload() messages: StageMessage[]): Array<StageResult | Error> {
    WordCountStage.batchSizes.push(messages.length);
    return messages.map((m) =>
      m.value.length === 0
        ? new StageError('EMPTY_TEXT', 'the text is empty')
        : { topic: 'words.out', type: 'conveyor.test.words.v1', value: Buffer.from(String(m.value.toString().split(' ').length)) },
    );
  }
}

@Injectable()
export class RecordingDeadLetterHook implements DeadLetterHook {
  static events: DeadLetterEvent[] = [];
  async onDeadLetter(event: DeadLetterEvent): Promise<StageResult> {
    RecordingDeadLetterHook.events.push(event);
    return { topic: 'words.out', type: 'conveyor.test.failed.v1', value: Buffer.from(event.error.code) };
  }
}

export function wordCountModule(settings: StageRuntimeSettings): Type<unknown> {
  @Module({
    imports: [StageRuntimeModule.forRoot(settings)],
    controllers: [WordCountStage],
    providers: [RecordingDeadLetterHook],
  })
  class WordCountModule {}
  return WordCountModule;
}
