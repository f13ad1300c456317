import { addProjectConfiguration, readProjectConfiguration, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { stageGenerator } from './generator';
import { insertStage } from './pipeline-source';

const workspaceRoot = path.resolve(__dirname, '../../../../..');
const ocrSource = readFileSync(path.join(workspaceRoot, 'pipelines/ocr/pipeline.ts'), 'utf8');

/** An in-memory workspace with the real ocr pipeline definition and its apps. */
function workspace(): Tree {
  const tree = createTreeWithEmptyWorkspace({ formatter: 'none' });
  tree.write('pipelines/ocr/pipeline.ts', ocrSource);
  for (const app of ['preprocess', 'features', 'inference', 'postprocess']) {
    addProjectConfiguration(tree, app, { root: `apps/${app}`, projectType: 'application', tags: ['type:app'] });
  }
  return tree;
}

describe('stage generator', () => {
  it('creates the app and adds the stage to the pipeline definition', async () => {
    const tree = workspace();
    const tsconfigBase = tree.read('tsconfig.base.json', 'utf-8');
    const done = await stageGenerator(tree, { name: 'denoise', pipeline: 'ocr', after: 'preprocess' });

    expect(tree.read('pipelines/ocr/pipeline.ts', 'utf-8')).toBe(insertStage(ocrSource, { name: 'denoise', after: 'preprocess' }).source);
    const project = readProjectConfiguration(tree, 'denoise');
    expect(project).toMatchObject({ root: 'apps/denoise', sourceRoot: 'apps/denoise/src', projectType: 'application', tags: ['type:app', 'scope:denoise'] });
    expect(Object.keys(project.targets ?? {})).toEqual(['build', 'typecheck', 'lint', 'test', 'serve', 'image']);
    expect(project.targets?.['serve']?.options?.command).toBe('node -r @swc-node/register apps/denoise/src/main.ts');
    // The image: docker/stage.Dockerfile with APP=denoise, built by the image target; no Dockerfile of its own.
    expect(project.targets?.['image']?.options?.command).toBe('tools/deploy/build-images.sh --images {projectName}');
    expect(tree.exists('docker/denoise.Dockerfile')).toBe(false);

    const files = ['jest.config.js', 'tsconfig.json', 'tsconfig.app.json', 'tsconfig.spec.json', 'src/main.ts', 'src/denoise.stage.ts', 'src/denoise.stage.spec.ts'];
    for (const file of files) expect(tree.exists(`apps/denoise/${file}`)).toBe(true);
    expect(tree.read('apps/denoise/src/main.ts', 'utf-8')).toBe(
      "import { runStageApp } from '@conveyor/stage-host';\nimport { denoiseStage } from './denoise.stage';\n\nvoid runStageApp(denoiseStage);\n",
    );
    const handler = tree.read('apps/denoise/src/denoise.stage.ts', 'utf-8')!;
    expect(handler).toContain("export const DENOISE_EVENT_TYPE = 'conveyor.ocr.denoise.v1';");
    expect(handler).toContain('export class DenoiseStage {');
    expect(handler).toContain("export const denoiseStage = defineStage({ app: 'denoise', handler: DenoiseStage });");
    expect(handler).toContain('between preprocess and features');
    expect(tree.read('apps/denoise/tsconfig.app.json', 'utf-8')).toContain('"outDir": "../../dist/apps/denoise"');
    // No path alias: the app imports existing libraries only.
    expect(tree.read('tsconfig.base.json', 'utf-8')).toBe(tsconfigBase);
    expect(typeof done).toBe('function');
  });

  it('names classes and constants of a dashed name', async () => {
    const tree = workspace();
    await stageGenerator(tree, { name: 'blur-faces', pipeline: 'ocr' });
    const handler = tree.read('apps/blur-faces/src/blur-faces.stage.ts', 'utf-8')!;
    expect(handler).toContain("export const BLUR_FACES_EVENT_TYPE = 'conveyor.ocr.blur-faces.v1';");
    expect(handler).toContain('export class BlurFacesStage {');
    expect(handler).toContain("export const blurFacesStage = defineStage({ app: 'blur-faces', handler: BlurFacesStage });");
    expect(tree.read('pipelines/ocr/pipeline.ts', 'utf-8')).toContain("    'blur-faces': { description: 'what the blur-faces stage writes' },\n");
  });

  it.each([
    [{ name: 'Denoise', pipeline: 'ocr' }, /invalid stage name "Denoise"/],
    [{ name: 'denoise', pipeline: 'nope' }, /unknown pipeline "nope": there is no pipelines\/nope\/pipeline.ts \(pipelines: ocr\)/],
    [{ name: 'denoise', pipeline: '../ocr' }, /unknown pipeline "..\/ocr"/],
    [{ name: 'denoise', pipeline: 'ocr', after: 'nope' }, /pipeline ocr has no stage "nope"/],
    [{ name: 'features', pipeline: 'ocr' }, /an Nx project named "features" already exists/],
    [{ name: 'regions', pipeline: 'ocr' }, /pipeline ocr already has a topic "regions"/],
    [{ name: 'denoise', pipeline: 'ocr', after: 'postprocess' }, /no stage of pipeline ocr reads "results"/],
  ])('refuses %j and writes nothing', async (options, message) => {
    const tree = workspace();
    const before = tree.listChanges().length;
    await expect(stageGenerator(tree, options)).rejects.toThrow(message);
    expect(tree.listChanges()).toHaveLength(before);
    expect(tree.read('pipelines/ocr/pipeline.ts', 'utf-8')).toBe(ocrSource);
  });

  it('refuses a name whose app folder exists', async () => {
    const tree = workspace();
    tree.write('apps/denoise/README.md', 'taken');
    await expect(stageGenerator(tree, { name: 'denoise', pipeline: 'ocr' })).rejects.toThrow('apps/denoise already exists');
  });
});
