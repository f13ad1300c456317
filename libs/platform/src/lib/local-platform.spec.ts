import { join } from 'node:path';
import { stageServiceSpec } from './local-platform';

describe('stageServiceSpec', () => {
  it.each<[string, NodeJS.ProcessEnv, string]>([
    ['caps glibc malloc arenas by default, as the images do', { LOG_LEVEL: 'warn' }, '2'],
    ['keeps an operator choice', { MALLOC_ARENA_MAX: '8' }, '8'],
  ])('%s', (_name, env, arenas) => {
    const spec = stageServiceSpec('ocr-features', 'features', '/repo', env);
    expect(spec).toMatchObject({ name: 'ocr-features', command: process.execPath, cwd: '/repo' });
    expect(spec.args).toEqual(['-r', '@swc-node/register', join('/repo', 'apps', 'features', 'src', 'main.ts')]);
    expect(spec.env).toMatchObject({ ...env, MALLOC_ARENA_MAX: arenas, SWC_NODE_PROJECT: join('/repo', 'tsconfig.base.json') });
  });
});
