import { definePipeline, type PipelineDefinitionInput } from '@conveyor/pipeline';
import { planProcesses } from './stage-plan';

const pipeline = (name: string, stages: Array<[string, number]>): PipelineDefinitionInput => ({
  name,
  description: name,
  topics: Object.fromEntries(['in', ...stages.map(([s]) => `${s}-out`)].map((t) => [t, {}])),
  input: { topic: 'in', eventType: `${name}.request`, contentTypes: ['image/png'] },
  output: { topic: `${stages[stages.length - 1][0]}-out`, resultSchema: `${name}.result.v1` },
  stages: stages.map(([stage, replicas], i) => ({ name: stage, app: stage, input: i === 0 ? 'in' : `${stages[i - 1][0]}-out`, output: `${stage}-out`, replicas })),
});

describe('planProcesses', () => {
  const a = definePipeline(pipeline('a', [['one', 1], ['two', 2]]));
  const b = definePipeline(pipeline('b', [['three', 1]]));

  it.each([
    ['every pipeline', ['a', 'b'], [['a-one', 9000], ['a-two', 9001], ['a-two-2', 9003], ['b-three', 9002]]],
    ['only the second: its ports do not move', ['b'], [['b-three', 9002]]],
    ['only the first', ['a'], [['a-one', 9000], ['a-two', 9001], ['a-two-2', 9003]]],
  ])('%s', (_name, selected, expected) => {
    expect(planProcesses([a, b], selected, 9000).map((p) => [p.name, p.httpPort])).toEqual(expected);
  });

  it('leaves ports to be picked when the base port is 0', () => {
    expect(planProcesses([a, b], ['a', 'b'], 0).map((p) => p.httpPort)).toEqual([0, 0, 0, 0]);
  });
});
