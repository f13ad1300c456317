/**
 * The tensor payloads between the OCR stages (safetensors, docs/architecture.md
 * "Wire format per hop"), one codec per hop. uint8 pixels travel until a model
 * needs floats: a float32 page is four times the bytes of the same page in uint8.
 */
import { ContractError, requireMetadata, requireTensor, tensor, type TensorBundle } from '@conveyor/contracts';
import type { BestPathRow, LineAngle, Quad, RasterImage } from '@conveyor/ocr';
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
  /** The turn applied to each line's crop. */
  angles: LineAngle[];
  /** Line index → the crop turned the other way, for lines whose angle the classifier was unsure of. */
  alternates: Map<number, RasterImage>;
  /** Boxes in original-image coordinates, TL TR BR BL. */
  boxes: Quad[];
  pageAngle: LineAngle;
  originalWidth: number;
  originalHeight: number;
}

/** features in `detect` mode (redaction): the page and its text boxes in page pixels. */
export interface DetectedPage {
  page: RasterImage;
  /** Text boxes in page coordinates, TL TR BR BL. */
  boxes: Quad[];
  originalWidth: number;
  originalHeight: number;
}

/** ocr.recognized: the best path of every line, and of every alternate (the line turned the other way). */
export interface RecognizedLines {
  lines: BestPathRow[];
  angles: LineAngle[];
  alternates: Map<number, BestPathRow>;
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

function anglesTensor(angles: readonly LineAngle[]) {
  return tensor('int32', [angles.length], Int32Array.from(angles));
}

function anglesFrom(bundle: TensorBundle, count: number): LineAngle[] {
  const t = requireTensor(bundle, 'angles', 'int32', [count]);
  return Array.from(t.data, (a, i) => {
    if (a !== 0 && a !== 180) throw new StageError('INVALID_METADATA', `line ${i} has angle ${a}; only 0 and 180 exist`);
    return a as LineAngle;
  });
}

function lineIndex(name: string, prefix: string, count: number): number {
  const index = Number(name.slice(prefix.length));
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new ContractError('SHAPE_MISMATCH', `tensor "${name}" names line ${name.slice(prefix.length)}, but the page has ${count} lines`);
  }
  return index;
}

export function encodeRegions(regions: PageRegions): TensorBundle {
  const tensors: TensorBundle['tensors'] = { boxes: boxesTensor(regions.boxes), angles: anglesTensor(regions.angles) };
  regions.lines.forEach((line, i) => (tensors[`line.${i}`] = imageTensor(line)));
  regions.alternates.forEach((crop, i) => (tensors[`alt.${i}`] = imageTensor(crop)));
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
  const alternates = new Map<number, RasterImage>();
  for (const name of Object.keys(bundle.tensors).filter((n) => n.startsWith('alt.'))) {
    alternates.set(lineIndex(name, 'alt.', count), imageFrom(bundle, name));
  }
  return {
    lines,
    angles: anglesFrom(bundle, count),
    alternates,
    boxes: boxesFrom(bundle, count),
    pageAngle: pageAngleMetadata(bundle),
    ...sizeFrom(bundle),
  };
}

/** Rows of different lengths as one [rows, maxSteps] pair of tensors (padded with blanks) plus their lengths. */
function encodeRows(prefix: string, rows: readonly BestPathRow[]): TensorBundle['tensors'] {
  const maxSteps = Math.max(0, ...rows.map((r) => r.indices.length));
  const indices = new Int32Array(rows.length * maxSteps);
  const scores = new Float32Array(rows.length * maxSteps);
  rows.forEach((row, i) => {
    indices.set(row.indices, i * maxSteps);
    scores.set(row.scores, i * maxSteps);
  });
  return {
    [`${prefix}indices`]: tensor('int32', [rows.length, maxSteps], indices),
    [`${prefix}scores`]: tensor('float32', [rows.length, maxSteps], scores),
    [`${prefix}steps`]: tensor('int32', [rows.length], Int32Array.from(rows.map((r) => r.indices.length))),
  };
}

function decodeRows(bundle: TensorBundle, prefix: string): BestPathRow[] {
  const steps = requireTensor(bundle, `${prefix}steps`, 'int32');
  if (steps.shape.length !== 1) throw new ContractError('SHAPE_MISMATCH', `tensor "${prefix}steps" must be one-dimensional`);
  const n = steps.shape[0];
  const indices = requireTensor(bundle, `${prefix}indices`, 'int32');
  if (indices.shape.length !== 2 || indices.shape[0] !== n) {
    throw new ContractError('SHAPE_MISMATCH', `tensor "${prefix}indices" must be [${n}, steps], got [${indices.shape.join(', ')}]`);
  }
  const width = indices.shape[1];
  const scores = requireTensor(bundle, `${prefix}scores`, 'float32', [n, width]);
  return Array.from({ length: n }, (_, i) => {
    const length = steps.data[i];
    if (length < 0 || length > width) throw new ContractError('SHAPE_MISMATCH', `row ${i} of "${prefix}steps" claims ${length} steps of ${width}`);
    return { indices: indices.data.slice(i * width, i * width + length), scores: scores.data.slice(i * width, i * width + length) };
  });
}

export function encodeRecognized(recognized: RecognizedLines): TensorBundle {
  const alternateLines = [...recognized.alternates.keys()];
  return {
    tensors: {
      ...encodeRows('', recognized.lines),
      ...encodeRows('alt_', alternateLines.map((i) => recognized.alternates.get(i) as BestPathRow)),
      alt_line: tensor('int32', [alternateLines.length], Int32Array.from(alternateLines)),
      angles: anglesTensor(recognized.angles),
      boxes: boxesTensor(recognized.boxes),
    },
    metadata: { ...sizeMetadata(recognized), pageAngle: String(recognized.pageAngle) },
  };
}

export function decodeRecognized(bundle: TensorBundle): RecognizedLines {
  const lines = decodeRows(bundle, '');
  const alternateRows = decodeRows(bundle, 'alt_');
  const alternateLines = requireTensor(bundle, 'alt_line', 'int32', [alternateRows.length]);
  const alternates = new Map<number, BestPathRow>();
  alternateRows.forEach((row, k) => {
    const line = alternateLines.data[k];
    if (line < 0 || line >= lines.length) throw new ContractError('SHAPE_MISMATCH', `alternate ${k} names line ${line} of ${lines.length}`);
    alternates.set(line, row);
  });
  return {
    lines,
    angles: anglesFrom(bundle, lines.length),
    alternates,
    boxes: boxesFrom(bundle, lines.length),
    pageAngle: pageAngleMetadata(bundle),
    ...sizeFrom(bundle),
  };
}

export function encodeDetectedPage(detected: DetectedPage): TensorBundle {
  return {
    tensors: { page: imageTensor(detected.page), boxes: boxesTensor(detected.boxes) },
    metadata: { ...sizeMetadata(detected), boxes: String(detected.boxes.length) },
  };
}

export function decodeDetectedPage(bundle: TensorBundle): DetectedPage {
  const count = Number(requireMetadata(bundle, 'boxes'));
  if (!Number.isInteger(count) || count < 0 || count > 100_000) throw new StageError('INVALID_METADATA', `metadata "boxes" must be a count, got "${requireMetadata(bundle, 'boxes')}"`);
  return { page: imageFrom(bundle, 'page'), boxes: boxesFrom(bundle, count), ...sizeFrom(bundle) };
}
