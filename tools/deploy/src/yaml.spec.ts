import { alias, anchored, commented, flow, MERGE, scalar, spaced, toYaml, trailing, yamlFile } from './yaml';

describe('scalar', () => {
  it.each([
    ['plain', 'plain'],
    ['ghcr.io/conveyor-ml/conveyor-inference', 'ghcr.io/conveyor-ml/conveyor-inference'],
    ['http://otel-collector:4318', 'http://otel-collector:4318'],
    ['${TOPIC_PREFIX}', '${TOPIC_PREFIX}'],
    ['no-new-privileges:true', 'no-new-privileges:true'],
  ])('writes %s plain', (value, expected) => expect(scalar(value)).toBe(expected));

  it.each([
    // Strings YAML 1.1 (PyYAML, podman-compose) or 1.2 would read as something else.
    ['true', '"true"'],
    ['no', '"no"'],
    ['On', '"On"'],
    ['null', '"null"'],
    ['~', '"~"'],
    ['8080', '"8080"'],
    ['0.1.0', '"0.1.0"'],
    ['1e3', '"1e3"'],
    ['.5', '".5"'],
    ['10001:10001', '"10001:10001"'],
    ['250m', '"250m"'],
    ['', '""'],
    ['-Xmx512m', '"-Xmx512m"'],
    ['a: b', '"a: b"'],
    ['a #b', '"a #b"'],
    ['key:', '"key:"'],
    ['*ref', '"*ref"'],
    ['say "hi"', '"say \\"hi\\""'],
  ])('quotes %s', (value, expected) => expect(scalar(value)).toBe(expected));

  it('writes numbers, booleans and null as themselves', () => {
    expect(scalar(3)).toBe('3');
    expect(scalar(false)).toBe('false');
    expect(scalar(null)).toBe('null');
    expect(() => scalar(Number.NaN)).toThrow();
  });
});

describe('toYaml', () => {
  it('writes nested maps and sequences in block style, two spaces, sequences indented under their key', () => {
    expect(toYaml({ a: { b: 1, c: ['x', { d: 'e', f: 'g' }] }, h: [], i: {} })).toBe(
      ['a:', '  b: 1', '  c:', '    - x', '    - d: e', '      f: g', 'h: []', 'i: {}', ''].join('\n'),
    );
  });

  it('writes comments before keys, items and documents, and after scalars', () => {
    expect(
      toYaml(
        commented('the document', {
          a: commented('why a\nand more', 1),
          b: [commented('item', { c: 2 })],
          d: trailing(86400000, '1 day'),
        }),
      ),
    ).toBe(
      ['# the document', '# why a', '# and more', 'a: 1', 'b:', '  # item', '  - c: 2', 'd: 86400000 # 1 day', ''].join(
        '\n',
      ),
    );
  });

  it('writes flow sequences, quoted on request', () => {
    expect(
      toYaml({ drop: flow(['ALL']), test: flow(['CMD', 'node', 'x.js'], true), mixed: flow(['a b', 'c', 1]) }),
    ).toBe(['drop: [ALL]', 'test: ["CMD", "node", "x.js"]', 'mixed: ["a b", c, 1]', ''].join('\n'));
  });

  it('writes anchors and merge keys', () => {
    expect(toYaml({ 'x-base': anchored('base', { a: 1 }), s: { [MERGE]: alias('base'), b: 2 } })).toBe(
      ['x-base: &base', '  a: 1', 's:', '  <<: *base', '  b: 2', ''].join('\n'),
    );
  });

  it('writes multi-line strings as literal blocks', () => {
    expect(toYaml({ patch: 'a: 1\nb:\n  c: 2' })).toBe(['patch: |-', '  a: 1', '  b:', '    c: 2', ''].join('\n'));
    expect(toYaml([{ patch: 'x\n' }])).toBe(['- patch: |', '    x', ''].join('\n'));
  });

  it('separates the entries of a spaced map with blank lines', () => {
    expect(toYaml(spaced({ a: 1, b: spaced({ c: 2, d: 3 }) }))).toBe(
      ['a: 1', '', 'b:', '  c: 2', '', '  d: 3', ''].join('\n'),
    );
  });

  it('leaves out undefined entries and refuses what it cannot write', () => {
    expect(toYaml({ a: undefined, b: 1 })).toBe('b: 1\n');
    expect(() => toYaml({ a: new Date(0) })).toThrow(/cannot write/);
    expect(() => toYaml('text')).toThrow();
  });
});

describe('yamlFile', () => {
  it('starts with the header comment and a blank line', () => {
    expect(yamlFile('generated\n\nwhy', [{ a: 1 }])).toBe('# generated\n#\n# why\n\na: 1\n');
  });

  it('puts --- before each document of a multi-document file', () => {
    expect(yamlFile('h', [{ a: 1 }, commented('second', { b: 2 })])).toBe('# h\n\n---\na: 1\n---\n# second\nb: 2\n');
  });
});
