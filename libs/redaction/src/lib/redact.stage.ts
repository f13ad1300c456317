import { positiveInt, nonNegativeInt } from '@conveyor/config';
import { resultKeyPrefix } from '@conveyor/pipeline';
import { decodeDetectedPage } from '@conveyor/ocr-pipeline';
import { parseRedactResult, REDACT_RESULT_SCHEMA, redactedImageKey } from '@conveyor/pipelines';
import { defineStage, PIPELINE_STAGE, publishResult, ResultStore, STAGE_CONFIG, type PipelineStageContext, type StageConfigOf } from '@conveyor/stage-host';
import { STAGE_REDIS, StageHandler, type StageMessage, type StageOutput } from '@conveyor/stage-runtime';
import { withTiming } from '@conveyor/contracts';
import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type Redis from 'ioredis';
import sharp from 'sharp';
import { growQuad, maskSvg } from './mask';

/** The redact stage's own settings (its pipeline definition may set them). */
const redactConfig = {
  REDACT_PADDING_PX: nonNegativeInt({ max: 200 }).prefault('3').describe('Pixels every text box grows by before it is blacked out.'),
  REDACT_PNG_COMPRESSION: positiveInt({ max: 9 }).prefault('6').describe('zlib level of the redacted PNG (1 fast … 9 small).'),
};

/**
 * redact: blacks out every detected text region of the page and keeps the
 * PNG in Redis (the result names its key: the image is usually far over
 * Kafka's message limit), then writes the result once and announces it.
 */
@Controller()
export class RedactStage {
  constructor(
    @Inject(STAGE_CONFIG) private readonly config: StageConfigOf<typeof redactStage>,
    @Inject(STAGE_REDIS) private readonly redis: Redis,
    @Inject(PIPELINE_STAGE) private readonly context: PipelineStageContext,
    private readonly results: ResultStore,
  ) {}

  @StageHandler()
  async redact(@Payload() message: StageMessage): Promise<StageOutput | undefined> {
    const started = performance.now();
    const { page, boxes } = decodeDetectedPage(message.tensors());
    const quads = boxes.map((b) => growQuad(b, this.config.REDACT_PADDING_PX, page.width, page.height));
    const png = await sharp(Buffer.from(page.data.buffer, page.data.byteOffset, page.data.byteLength), { raw: { width: page.width, height: page.height, channels: 3 } })
      .composite([{ input: Buffer.from(maskSvg(quads, page.width, page.height)) }])
      .png({ compressionLevel: this.config.REDACT_PNG_COMPRESSION })
      .toBuffer();
    const { binding, pipeline } = this.context;
    const key = redactedImageKey(message.id, binding.resultKeyPrefix === resultKeyPrefix(pipeline) ? undefined : binding.resultKeyPrefix);
    // Written before the result, so a result always finds its image; a redelivery writes the same bytes again.
    await this.redis.set(key, png, 'EX', this.context.resultTtlSeconds);
    const result = parseRedactResult({
      schema: REDACT_RESULT_SCHEMA,
      id: message.id,
      status: 'ok',
      regions: quads.map((box) => ({ box: box.map(([x, y]) => [round1(x), round1(y)]) })),
      image: { contentType: 'image/png', width: page.width, height: page.height, bytes: png.length, redisKey: key },
      timings: withTiming({ ...message.timings }, this.context.stage.name, Math.round(performance.now() - started)),
      completedAt: new Date().toISOString(),
    });
    return publishResult(result, this.results);
  }
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

/** The redact app. */
export const redactStage = defineStage({ app: 'redact', handler: RedactStage, config: redactConfig });
