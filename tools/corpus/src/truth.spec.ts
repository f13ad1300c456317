import { parseTruth, TRUTH_VERSION } from './truth';

const item = {
  id: 's1-0000',
  file: 's1-0000.png',
  format: 'png',
  lines: ['Total due $12.50'],
  rotated180: false,
  noise: false,
  font: 'DejaVu Sans',
  fontSize: 30,
  width: 400,
  height: 80,
};
const truth = {
  version: TRUTH_VERSION,
  seed: 1,
  settings: { rotatedShare: 0.25, noiseShare: 0.3, formats: ['png'], maxWidth: 960, fonts: ['DejaVu Sans'] },
  items: [item],
};

describe('parseTruth', () => {
  it('accepts a valid file', () => {
    expect(parseTruth(JSON.stringify(truth))).toEqual(truth);
  });

  it.each<[string, string, RegExp]>([
    ['not JSON', '{', /x\.json is not JSON/],
    ['wrong version', JSON.stringify({ ...truth, version: 2 }), /x\.json is not a corpus truth file: version/],
    ['no lines', JSON.stringify({ ...truth, items: [{ ...item, lines: [] }] }), /items\.0\.lines/],
    ['bad format', JSON.stringify({ ...truth, items: [{ ...item, format: 'gif' }] }), /items\.0\.format/],
    ['duplicate ids', JSON.stringify({ ...truth, items: [item, item] }), /duplicate item id s1-0000/],
  ])('rejects %s', (_name, json, message) => {
    expect(() => parseTruth(json, 'x.json')).toThrow(message);
  });
});
