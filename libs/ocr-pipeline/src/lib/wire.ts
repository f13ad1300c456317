/**
 * The tensor payloads between the OCR stages (safetensors, DESIGN §3), one
 * codec per hop. uint8 pixels travel until a model needs floats (DESIGN §8):
 * a float32 page is four times the bytes of the same page in uint8.
 */
import { ContractError, requireMetadata, requireTensor, tensor, type TensorBundle } from '@conveyor/contracts';
import type { LineAngle, Quad, RasterImage } from '@conveyor/ocr';
import { StageError } from '@conveyor/stage-runtime';

/** ocr.preprocessed: the oriented page (for crops) and the detection input. */
export interface PreprocessedPage {
  /** EXIF-oriented page, bounded in size: line crops are cut from it. */
  page: RasterImage;
  /** The page resized for the detector: sides multiples of 32. */
  detection: RasterImage;
  /** Size of the oriented original; result boxes are reported in its coordinates. */
  originalWidth: number;
  originalHeight: number;
}

/** ocr.regions: one upright line crop per text line (height 48), with its box. */
export interface PageRegions {
  lines: RasterImage[];
  /** Boxes in original-image coordinates, TL TR BR BL. */
  boxes: Quad[];
  pageAngle: LineAngle;
  originalWidth: number;
  originalHeight: number;
}

/** ocr.recognized: per line and time step, the best class and its probability. */
export interface RecognizedLines {
  /** [lines][steps] class indices (0 = CTC blank). */
  indices: Int32Array[];
  scores: Float32Array[];
  boxes: Quad[];
  pageAngle: LineAngle;
  originalWidth: number;
  originalHeight: number;
}

function imageTensor(image: RasterImage) {
  return tensor('uint8', [image.height, image.width, image.channels], image.data);
}

function imageFrom(bundle: TensorBundle, name: string): RasterImage {
  const t = requireTensor(bundle, name, 'uint8');
  if (t.shape.length !== 3 || t.shape[2] !== 3 || t.shape[0] < 1 || t.shape[1] < 1) {
    throw new ContractError('SHAPE_MISMATCH', `tensor "${name}" must be [height, width, 3] RGB, got [${t.shape.join(', ')}]`);
  }
  return { height: t.shape[0], width: t.shape[1], channels: 3, data: t.data };
}

function positiveIntMetadata(bundle: TensorBundle, key: string): number {
  const text = requireMetadata(bundle, key);
  const value = Number(text);
  if (!/^[1-9][0-9]{0,8}$/.test(text)) throw new StageError('INVALID_METADATA', `metadata "${key}" must be a positive integer, got "${text}"`);
  return value;
}

function pageAngleMetadata(bundle: TensorBundle): LineAngle {
  const text = requireMetadata(bundle, 'pageAngle');
  if (text !== '0' && text !== '180') throw new StageError('INVALID_METADATA', `metadata "pageAngle" must be 0 or 180, got "${text}"`);
  return Number(text) as LineAngle;
}

function boxesTensor(boxes: readonly Quad[]) {
  return tensor('float32', [boxes.length, 4, 2], Float32Array.from(boxes.flatMap((q) => q.flatMap((p) => p))));
}

function boxesFrom(bundle: TensorBundle, count: number): Quad[] {
  const t = requireTensor(bundle, 'boxes', 'float32', [count, 4, 2]);
  const boxes: Quad[] = [];
  for (let i = 0; i < count; i++) {
    const p = (k: number): [number, number] => [t.data[i * 8 + k * 2], t.data[i * 8 + k * 2 + 1]];
    boxes.push([p(0), p(1), p(2), p(3)]);
  }
  return boxes;
}

function sizeMetadata(page: { originalWidth: number; originalHeight: number }): Record<string, string> {
  return { originalWidth: String(page.originalWidth), originalHeight: String(page.originalHeight) };
}

function sizeFrom(bundle: TensorBundle): { originalWidth: number; originalHeight: number } {
  return { originalWidth: positiveIntMetadata(bundle, 'originalWidth'), originalHeight: positiveIntMetadata(bundle, 'originalHeight') };
}

export function encodePreprocessed(page: PreprocessedPage): TensorBundle {
  return { tensors: { page: imageTensor(page.page), detection: imageTensor(page.detection) }, metadata: sizeMetadata(page) };
}

export function decodePreprocessed(bundle: TensorBundle): PreprocessedPage {
  const detection = imageFrom(bundle, 'detection');
  if (detection.width % 32 !== 0 || detection.height % 32 !== 0) {
    throw new ContractError('SHAPE_MISMATCH', `detection input must have sides that are multiples of 32, got ${detection.width}x${detection.height}`);
  }
  return { page: imageFrom(bundle, 'page'), detection, ...sizeFrom(bundle) };
}

export function encodeRegions(regions: PageRegions): TensorBundle {
  const tensors: TensorBundle['tensors'] = { boxes: boxesTensor(regions.boxes) };
  regions.lines.forEach((line, i) => (tensors[`line.${i}`] = imageTensor(line)));
  return {
    tensors,
    metadata: { ...sizeMetadata(regions), lines: String(regions.lines.length), pageAngle: String(regions.pageAngle) },
  };
}

export function decodeRegions(bundle: TensorBundle): PageRegions {
  const count = Number(requireMetadata(bundle, 'lines'));
  if (!Number.isInteger(count) || count < 0 || count > 10_000) {
    throw new StageError('INVALID_METADATA', `metadata "lines" must be an integer in [0, 10000]`);
  }
  const lines = Array.from({ length: count }, (_, i) => imageFrom(bundle, `line.${i}`));
  return { lines, boxes: boxesFrom(bundle, count), pageAngle: pageAngleMetadata(bundle), ...sizeFrom(bundle) };
}

export function encodeRecognized(recognized: RecognizedLines): TensorBundle {
  const steps = recognized.indices.map((i) => i.length);
  const maxSteps = Math.max(0, ...steps);
  const n = recognized.indices.length;
  // Rows padded with blanks (index 0) to the longest line; `steps` keeps the true lengths.
  const indices = new Int32Array(n * maxSteps);
  const scores = new Float32Array(n * maxSteps);
  recognized.indices.forEach((row, i) => indices.set(row, i * maxSteps));
  recognized.scores.forEach((row, i) => scores.set(row, i * maxSteps));
  return {
    tensors: {
      indices: tensor('int32', [n, maxSteps], indices),
      scores: tensor('float32', [n, maxSteps], scores),
      steps: tensor('int32', [n], Int32Array.from(steps)),
      boxes: boxesTensor(recognized.boxes),
    },
    metadata: { ...sizeMetadata(recognized), pageAngle: String(recognized.pageAngle) },
  };
}

export function decodeRecognized(bundle: TensorBundle): RecognizedLines {
  const steps = requireTensor(bundle, 'steps', 'int32');
  if (steps.shape.length !== 1) throw new ContractError('SHAPE_MISMATCH', 'tensor "steps" must be one-dimensional');
  const n = steps.shape[0];
  const indices = requireTensor(bundle, 'indices', 'int32');
  if (indices.shape.length !== 2 || indices.shape[0] !== n) {
    throw new ContractError('SHAPE_MISMATCH', `tensor "indices" must be [${n}, steps], got [${indices.shape.join(', ')}]`);
  }
  const width = indices.shape[1];
  const scores = requireTensor(bundle, 'scores', 'float32', [n, width]);
  const rows = Array.from({ length: n }, (_, i) => {
    const length = steps.data[i];
    if (length < 0 || length > width) throw new ContractError('SHAPE_MISMATCH', `line ${i} claims ${length} steps of ${width}`);
    return {
      indices: indices.data.slice(i * width, i * width + length),
      scores: scores.data.slice(i * width, i * width + length),
    };
  });
  return {
    indices: rows.map((r) => r.indices),
    scores: rows.map((r) => r.scores),
    boxes: boxesFrom(bundle, n),
    pageAngle: pageAngleMetadata(bundle),
    ...sizeFrom(bundle),
  };
}
