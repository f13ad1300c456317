import { definePipeline, PipelineDefinitionError, type PipelineDefinitionInput } from './definition';

const valid: PipelineDefinitionInput = {
  name: 'demo',
  description: 'two stages',
  topics: { requests: { config: { 'max.message.bytes': '2000000' } }, middle: {}, results: {} },
  input: { topic: 'requests', eventType: 'conveyor.demo.request.v1', contentTypes: ['image/png'] },
  output: { topic: 'results', resultSchema: 'conveyor.demo.result.v1' },
  stages: [
    { name: 'first', app: 'first', input: 'requests', output: 'middle' },
    { name: 'second', app: 'second', input: 'middle', output: 'results', replicas: 2, batch: { maxSize: 4 } },
  ],
};

const withStages = (stages: PipelineDefinitionInput['stages']): PipelineDefinitionInput => ({ ...valid, stages });

describe('definePipeline', () => {
  it('fills in defaults', () => {
    const p = definePipeline(valid);
    expect(p.stages[0]).toMatchObject({ replicas: 1, env: {}, models: [], gpu: 'none', resources: { cpu: '100m', memory: '256Mi' } });
    expect(p.output.failedFields).toEqual({});
  });

  it.each<[string, PipelineDefinitionInput, RegExp]>([
    ['an upper-case pipeline name', { ...valid, name: 'Demo' }, /name: a pipeline name must be a lower-case DNS label/],
    ['an input topic that is not declared', { ...valid, input: { ...valid.input, topic: 'nope' } }, /input.topic: input topic "nope" is not one of topics/],
    ['a stage reading an undeclared topic', withStages([valid.stages[0], { ...valid.stages[1], input: 'elsewhere' }]), /stage "second" consumes "elsewhere"/],
    ['two stages of one name', withStages([valid.stages[0], { ...valid.stages[1], name: 'first' }]), /stage "first" is defined twice/],
    ['a stage writing back to the input topic', withStages([valid.stages[0], { ...valid.stages[1], output: 'requests' }]), /writes to the input topic/],
    ['a topic nobody writes', { ...valid, topics: { ...valid.topics, orphan: {} } }, /topic "orphan" is written by no stage/],
    ['a topic nobody reads', { ...withStages([{ ...valid.stages[0], outputs: { audit: 'audit' } }, valid.stages[1]]), topics: { ...valid.topics, audit: {} } }, /topic "audit" is read by no stage/],
    ['an environment name in lower case', withStages([{ ...valid.stages[0], env: { threads: '1' } }, valid.stages[1]]), /UPPER_SNAKE_CASE/],
    ['maxReplicas below replicas', withStages([valid.stages[0], { ...valid.stages[1], maxReplicas: 1 }]), /maxReplicas below replicas/],
    ['a bad memory quantity', withStages([{ ...valid.stages[0], resources: { cpu: '1', memory: '1GB' } }, valid.stages[1]]), /memory is a Kubernetes quantity/],
  ])('refuses %s, naming the problem', (_name, definition, message) => {
    expect(() => definePipeline(definition)).toThrow(PipelineDefinitionError);
    expect(() => definePipeline(definition)).toThrow(message);
  });

  it('lists every problem at once', () => {
    const bad = { ...valid, name: 'X', input: { ...valid.input, topic: 'nope' } };
    expect(() => definePipeline(bad)).toThrow(/pipeline X is invalid:\n {2}name: .*\n {2}input\.topic: /);
  });
});
