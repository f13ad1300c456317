import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { insertStage, PipelineEditError, readPipelineSource } from './pipeline-source';

const workspaceRoot = path.resolve(__dirname, '../../../../..');
const readPipeline = (name: string) => readFileSync(path.join(workspaceRoot, 'pipelines', name, 'pipeline.ts'), 'utf8');

/** A three-stage pipeline as the repository writes them: one property and one stage per line, trailing commas. */
const THREE = `import { definePipeline } from '@conveyor/pipeline';

export const demoPipeline = definePipeline({
  name: 'demo',
  description: 'demo',
  topics: {
    requests: { description: 'in' },
    decoded: { description: 'decoded' }, // a comment that stays on its line
    scored: { description: 'scored' },
    results: { description: 'out' },
  },
  input: { topic: 'requests', eventType: 'conveyor.demo.request.v1', contentTypes: ['image/png'] },
  output: { topic: 'results', resultSchema: 'conveyor.demo.result.v1' },
  stages: [
    {
      name: 'decode',
      app: 'decode',
      input: 'requests',
      output: 'decoded',
    },
    {
      name: 'score',
      app: 'scorer',
      input: 'decoded',
      output: 'scored',
    },
    {
      name: 'report',
      app: 'report',
      input: 'scored',
      output: 'results',
    },
  ],
});
`;

/** The same pipeline written compactly: one-line stages and topics, no trailing commas, double quotes. */
const COMPACT = `definePipeline({
  name: "compact",
  topics: { requests: {}, decoded: {}, results: {} },
  output: { topic: "results" },
  stages: [
    { name: "decode", app: "decode", input: "requests", output: "decoded" },
    { name: "report", app: "report", input: "decoded", output: "results" }
  ]
});
`;

describe('insertStage', () => {
  const cases: { title: string; source: string; name: string; after?: string; description?: string; expected: string }[] = [
    {
      title: 'in the middle (--after the first stage)',
      source: THREE,
      name: 'denoise',
      after: 'decode',
      expected: THREE.replace(
        "    decoded: { description: 'decoded' }, // a comment that stays on its line\n",
        "    decoded: { description: 'decoded' }, // a comment that stays on its line\n    denoise: { description: 'what the denoise stage writes' },\n",
      )
        .replace(
          "      output: 'decoded',\n    },\n",
          "      output: 'decoded',\n    },\n    {\n      name: 'denoise',\n      app: 'denoise',\n      input: 'decoded',\n      output: 'denoise',\n    },\n",
        )
        .replace("      app: 'scorer',\n      input: 'decoded',", "      app: 'scorer',\n      input: 'denoise',"),
    },
    {
      title: 'by default after the second to last stage, with a description and a quoted topic key',
      source: THREE,
      name: 'post-check',
      description: "checks the scores' range",
      expected: THREE.replace(
        "    scored: { description: 'scored' },\n",
        "    scored: { description: 'scored' },\n    'post-check': { description: 'what the post-check stage writes' },\n",
      )
        .replace(
          "      output: 'scored',\n    },\n",
          "      output: 'scored',\n    },\n    {\n      name: 'post-check',\n      app: 'post-check',\n      description: 'checks the scores\\' range',\n      input: 'scored',\n      output: 'post-check',\n    },\n",
        )
        .replace("      input: 'scored',\n      output: 'results',", "      input: 'post-check',\n      output: 'results',"),
    },
    {
      title: 'in a compact definition (one-line objects, no trailing comma, double quotes)',
      source: COMPACT,
      name: 'enhance',
      expected: `definePipeline({
  name: "compact",
  topics: { requests: {}, decoded: {}, enhance: { description: "what the enhance stage writes" }, results: {} },
  output: { topic: "results" },
  stages: [
    { name: "decode", app: "decode", input: "requests", output: "decoded" },
    { name: "enhance", app: "enhance", input: "decoded", output: "enhance" },
    { name: "report", app: "report", input: "enhance", output: "results" }
  ]
});
`,
    },
    {
      title: 'with Windows line ends',
      source: THREE.replace(/\n/g, '\r\n'),
      name: 'denoise',
      after: 'score',
      expected: THREE.replace("    scored: { description: 'scored' },\n", "    scored: { description: 'scored' },\n    denoise: { description: 'what the denoise stage writes' },\n")
        .replace(
          "      output: 'scored',\n    },\n",
          "      output: 'scored',\n    },\n    {\n      name: 'denoise',\n      app: 'denoise',\n      input: 'scored',\n      output: 'denoise',\n    },\n",
        )
        .replace("      input: 'scored',\n      output: 'results',", "      input: 'denoise',\n      output: 'results',")
        .replace(/\n/g, '\r\n'),
    },
  ];

  it.each(cases)('inserts a stage $title', ({ source, name, after, description, expected }) => {
    const result = insertStage(source, { name, after, description });
    expect(result.source).toBe(expected);
  });

  it('reports where the stage went', () => {
    expect(insertStage(THREE, { name: 'denoise', after: 'decode' })).toMatchObject({ pipeline: 'demo', after: 'decode', next: 'score', input: 'decoded', output: 'denoise' });
    expect(insertStage(THREE, { name: 'denoise' })).toMatchObject({ after: 'score', next: 'report', input: 'scored' });
  });

  it.each([
    ['Denoise', /invalid stage name "Denoise"/],
    ['1st', /invalid stage name/],
    ['de_noise', /invalid stage name/],
    ['denoise-', /invalid stage name/],
    ['', /invalid stage name ""/],
    ['a'.repeat(33), /invalid stage name/],
    ['score', /pipeline demo already has a stage "score"/],
    ['scorer', /stage "score" already runs the app "scorer"/],
    ['decoded', /pipeline demo already has a topic "decoded"/],
  ])('refuses the name %j', (name, message) => {
    expect(() => insertStage(THREE, { name, after: 'decode' })).toThrow(message);
  });

  it.each([
    ['after an unknown stage', { after: 'nope' }, THREE, /pipeline demo has no stage "nope" \(stages: decode, score, report\)/],
    ['after the last stage', { after: 'report' }, THREE, /no stage of pipeline demo reads "results", the output of stage "report" \("results" is the pipeline's results topic\)/],
    ['into a single-stage pipeline', {}, COMPACT.replace(/ {4}\{ name: "decode".*\n/, ''), /has a single stage/],
    ['between a stage and two readers of its output', { after: 'decode' }, THREE.replace("input: 'scored'", "input: 'decoded'"), /stages "score" and "report" all read "decoded"/],
  ])('refuses to insert %s', (_what, options, source, message) => {
    expect(() => insertStage(source, { name: 'denoise', ...options })).toThrow(message);
  });

  it.each([
    ['no definePipeline call', 'export const x = 1;\n', /expected one definePipeline\(\{ … \}\) call, found 0/],
    ['a definition that is not a literal', 'definePipeline(definition);\n', /argument is not an object literal/],
    ['stages that are not an array literal', 'definePipeline({ topics: {}, stages: STAGES });\n', /`stages` is not an array literal/],
    ['a stage that is not an object literal', 'definePipeline({ topics: {}, stages: [decode] });\n', /stage #1 is not an object literal/],
  ])('refuses a file with %s', (_what, source, message) => {
    expect(() => insertStage(source, { name: 'denoise' }, 'x.ts')).toThrow(message);
  });

  it('throws PipelineEditError', () => {
    expect(() => insertStage(THREE, { name: 'score' })).toThrow(PipelineEditError);
  });

  describe.each(['ocr', 'redact'])('on pipelines/%s/pipeline.ts', (pipeline) => {
    it('changes nothing but the inserted lines and the rewired input', () => {
      const original = readPipeline(pipeline);
      const before = readPipelineSource(original);
      const result = insertStage(original, { name: 'denoise' });
      const after = readPipelineSource(result.source);
      // The chain: … → after → denoise → next → …, in that order in `stages`.
      const names = after.stages.map((s) => s.name);
      expect(names).toEqual([...before.stages.map((s) => s.name)].toSpliced(before.stages.length - 1, 0, 'denoise'));
      expect(after.stages.find((s) => s.name === 'denoise')).toEqual({ name: 'denoise', app: 'denoise', input: result.input, output: 'denoise' });
      expect(after.stages.at(-1)!.input).toBe('denoise');
      expect(after.topics).toEqual([...before.topics].toSpliced(before.topics.indexOf(result.input) + 1, 0, 'denoise'));

      // Without the inserted topic line and stage block, and with the one rewired input undone, it is the original, byte for byte.
      const topicLine = "    denoise: { description: 'what the denoise stage writes' },\n";
      const stageBlock = `    {\n      name: 'denoise',\n      app: 'denoise',\n      input: '${result.input}',\n      output: 'denoise',\n    },\n`;
      expect(result.source.split(topicLine)).toHaveLength(2);
      expect(result.source.split(stageBlock)).toHaveLength(2);
      expect(result.source.replace(topicLine, '').replace(stageBlock, '').replace("input: 'denoise'", `input: '${result.input}'`)).toBe(original);
    });
  });
});
