import { defaultDictionaryPath, loadDictionary, unsupportedCharacters } from './dictionary';

describe('loadDictionary', () => {
  const dictionary = loadDictionary();

  it('reads the model dictionary and adds the space PaddleOCR appends', () => {
    expect(defaultDictionaryPath()).toMatch(/ppocr_keys_v1\.txt$/);
    expect(dictionary.size).toBeGreaterThan(6000);
    for (const ch of ' aZ09$%#@:/-.,') expect(dictionary.has(ch)).toBe(true);
  });

  it('names the file when it cannot be read', () => {
    expect(() => loadDictionary('/nonexistent/keys.txt')).toThrow(
      /cannot read the OCR dictionary at \/nonexistent\/keys.txt/,
    );
  });
});

describe('unsupportedCharacters', () => {
  const dictionary = new Set(['a', 'b', ' ']);
  it.each([
    ['ab ba', []],
    ['', []],
    ['abc', ['c']],
    ['€a€£', ['€', '£']],
    ['a\nb', ['\n']],
  ])('%j -> %j', (text, expected) => expect(unsupportedCharacters(text, dictionary)).toEqual(expected));
});
