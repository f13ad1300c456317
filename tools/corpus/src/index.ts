export {
  generateCorpus,
  generateItem,
  resolveSettings,
  writeCorpus,
  itemId,
  FONT_SIZE,
  JPEG_QUALITY,
  MIN_MAX_WIDTH,
} from './corpus';
export type { Corpus, CorpusItem, CorpusOptions } from './corpus';
export { parseTruth, readTruth, corpusTruthSchema, truthItemSchema, TRUTH_VERSION } from './truth';
export type { CorpusTruth, TruthItem } from './truth';
export {
  levenshtein,
  codePointLength,
  characterErrorRate,
  exactLineMatches,
  exactLineRate,
  normalizePrediction,
  scoreCorpus,
} from './metrics';
export type { CorpusScore, ItemScore, Predictions, ScorableItem, ScoreSummary } from './metrics';
export { rasteriseText, composePage, composePixels, pageSize, IMAGE_FORMATS } from './render';
export type { ImageFormat, PageStyle, RenderedImage, Rgb, TextLayout, TextMask } from './render';
export { loadDictionary, defaultDictionaryPath, unsupportedCharacters } from './dictionary';
export { installedFontFamilies, parseFontFamilies } from './fonts';
export { mulberry32, itemSeed, assertSeed } from './prng';
export type { Rng } from './prng';
