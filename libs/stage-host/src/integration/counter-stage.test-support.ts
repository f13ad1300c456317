/*
 * A stage app that has nothing to do with OCR, for the stage host's
 * integration tests: text in, a word-count result out (written once to Redis
 * and announced, as a pipeline's last stage does). The input `crash` kills
 * the process outright (SIGKILL), as a native crash in a decoder or ONNX
 * Runtime, or the kernel's OOM killer, would.
 */
import { newRequestId, toCloudEventHeaders, withTiming } from '@conveyor/contracts';
import { definePipeline, type PipelineDefinition } from '@conveyor/pipeline';
import { StageHandler, type StageMessage, type StageOutput } from '@conveyor/stage-runtime';
import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { Producer } from 'kafkajs';
import { publishResult } from '../lib/announce';
import { defineStage } from '../lib/define-stage';
import { ResultStore } from '../lib/result-store';
import { PIPELINE_STAGE, type PipelineStageContext } from '../lib/tokens';

export const COUNTER_RESULT_SCHEMA = 'conveyor.wordcount.result.v1';

/** The test pipeline: `wordcount.requests` → [count] → `wordcount.results`; results under `resultKeyPrefix`. */
export function counterPipeline(resultKeyPrefix: string): PipelineDefinition {
  return definePipeline({
    name: 'wordcount',
    description: 'word count (stage host tests)',
    topics: { requests: { partitions: 1 }, results: { partitions: 1 } },
    input: { topic: 'requests', eventType: 'conveyor.wordcount.request.v1', contentTypes: ['text/plain'] },
    output: { topic: 'results', resultSchema: COUNTER_RESULT_SCHEMA, redisKeyPrefix: resultKeyPrefix, failedFields: { words: 0 } },
    stages: [{ name: 'count', app: 'counter', input: 'requests', output: 'results' }],
  });
}

@Controller()
export class CounterStage {
  constructor(
    private readonly results: ResultStore,
    @Inject(PIPELINE_STAGE) private readonly context: PipelineStageContext,
  ) {}

  @StageHandler()
  async count(@Payload() message: StageMessage): Promise<StageOutput | undefined> {
    const text = message.value.toString('utf8');
    if (process.env['COUNTER_TRACE']) process.stdout.write(`HANDLER ${message.origin.offset} ${text}\n`);
    if (text === 'crash') process.kill(process.pid, 'SIGKILL');
    return publishResult(
      {
        schema: COUNTER_RESULT_SCHEMA,
        id: message.id,
        status: 'ok',
        words: text.split(/\s+/).filter(Boolean).length,
        timings: withTiming({ ...message.timings }, this.context.stage.name, 1),
        completedAt: new Date().toISOString(),
      },
      this.results,
    );
  }
}

export const counterStage = defineStage({ app: 'counter', handler: CounterStage });

/** Publishes texts as requests (valid CloudEvent headers), in one batch; returns their request ids. */
export async function sendRequests(producer: Producer, topic: string, texts: string[]): Promise<string[]> {
  const ids = texts.map(() => newRequestId());
  await producer.send({
    topic,
    acks: -1,
    messages: texts.map((text, i) => ({
      key: ids[i],
      value: Buffer.from(text),
      headers: toCloudEventHeaders({ specversion: '1.0', id: ids[i], source: '/test', type: 'conveyor.wordcount.request.v1', contentType: 'text/plain' }),
    })),
  });
  return ids;
}
