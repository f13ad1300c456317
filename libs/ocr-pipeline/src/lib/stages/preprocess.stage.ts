import { checkImagePayload, headerString, CloudEventHeader } from '@conveyor/contracts';
import { OcrEventTypes } from '@conveyor/pipelines';
import { defineStage } from '@conveyor/stage-host';
import { decodeImage, detectionSize, resizeImage } from '@conveyor/ocr';
import { StageError, StageHandler, type StageMessage, type StageOutput } from '@conveyor/stage-runtime';
import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ocrStageConfig, ocrStageOptionsProvider } from '../stage-config';
import { OCR_STAGE_OPTIONS, type OcrStageOptions } from '../tokens';
import { encodePreprocessed } from '../wire';

/**
 * preprocess: validate the image (declared type, magic bytes, size), decode
 * it with EXIF orientation, bound the page, and make the detection input
 * (sides multiples of 32). Pixels stay uint8; the detector's normalisation is
 * fused into the features stage where floats are needed (docs/architecture.md,
 * "Wire format per hop").
 */
@Controller()
export class PreprocessStage {
  constructor(@Inject(OCR_STAGE_OPTIONS) private readonly options: OcrStageOptions) {}

  @StageHandler()
  async preprocess(@Payload() message: StageMessage): Promise<StageOutput> {
    const { maxImageBytes, maxImagePixels, maxPageSide, detectionLimitSide } = this.options;
    if (message.value.length === 0) throw new StageError('EMPTY_IMAGE', 'the request carries no image bytes');
    if (message.value.length > maxImageBytes) {
      throw new StageError('IMAGE_TOO_LARGE', `the image is ${message.value.length} bytes; the limit is ${maxImageBytes}`);
    }
    checkImagePayload(message.event.contentType ?? headerString(message.headers, CloudEventHeader.contentType), message.value);
    let original;
    try {
      original = await decodeImage(message.value, { maxPixels: maxImagePixels });
    } catch (error) {
      throw new StageError('UNDECODABLE_IMAGE', `the image cannot be decoded: ${(error as Error).message}`, false, { cause: error });
    }
    const scale = Math.min(1, maxPageSide / Math.max(original.width, original.height));
    const page =
      scale < 1
        ? await resizeImage(original, Math.max(1, Math.round(original.width * scale)), Math.max(1, Math.round(original.height * scale)))
        : original;
    const size = detectionSize(page.width, page.height, { limitSide: detectionLimitSide });
    const detection = await resizeImage(page, size.width, size.height);
    return {
      type: OcrEventTypes.preprocessed,
      tensors: encodePreprocessed({ page, detection, originalWidth: original.width, originalHeight: original.height }),
    };
  }
}

/** The preprocess app: this handler with the OCR stages' configuration. */
export const preprocessStage = defineStage({ app: 'preprocess', handler: PreprocessStage, config: ocrStageConfig, providers: [ocrStageOptionsProvider] });
