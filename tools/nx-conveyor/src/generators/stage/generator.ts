import {
  addProjectConfiguration,
  formatFiles,
  generateFiles,
  getProjects,
  logger,
  names,
  readJson,
  type GeneratorCallback,
  type Tree,
} from '@nx/devkit';
import * as path from 'node:path';
import { insertStage, PipelineEditError, STAGE_NAME_PATTERN } from './pipeline-source';
import type { StageGeneratorSchema } from './schema';

/**
 * `nx g @conveyor/nx-conveyor:stage <name> --pipeline <pipeline> [--after <stage>]`:
 * a stage app `apps/<name>` (a pass-through handler, its unit test, main.ts,
 * the project's targets) and the stage in `pipelines/<pipeline>/pipeline.ts`,
 * from which topics, the launcher and the deployments follow
 * (docs/architecture.md, "Pipelines as data"). Validates everything before
 * writing anything; nothing is written on an error.
 */
export async function stageGenerator(tree: Tree, schema: StageGeneratorSchema): Promise<GeneratorCallback> {
  const name = schema.name?.trim() ?? '';
  const pipeline = schema.pipeline?.trim() ?? '';
  if (!STAGE_NAME_PATTERN.test(name)) {
    throw new PipelineEditError(`invalid stage name "${name}": it must be a lower-case DNS label (a-z, 0-9, "-", starting with a letter, at most 32 chars)`);
  }
  const pipelineFile = `pipelines/${pipeline}/pipeline.ts`;
  if (!/^[a-z][a-z0-9-]*$/.test(pipeline) || !tree.exists(pipelineFile)) {
    const known = tree.children('pipelines').filter((dir) => tree.exists(`pipelines/${dir}/pipeline.ts`));
    throw new PipelineEditError(`unknown pipeline "${pipeline}": there is no ${pipelineFile} (pipelines: ${known.join(', ') || 'none'})`);
  }
  const appRoot = `apps/${name}`;
  if (getProjects(tree).has(name)) throw new PipelineEditError(`an Nx project named "${name}" already exists; choose another stage name`);
  if (tree.exists(appRoot)) throw new PipelineEditError(`${appRoot} already exists; choose another stage name`);

  // Throws (before anything is written) on an unknown --after, a taken name, or a definition it cannot edit.
  const edit = insertStage(tree.read(pipelineFile, 'utf-8') ?? '', { name, after: schema.after?.trim() || undefined, description: schema.description }, pipelineFile);

  addProjectConfiguration(tree, name, {
    root: appRoot,
    sourceRoot: `${appRoot}/src`,
    projectType: 'application',
    tags: ['type:app', `scope:${name}`],
    targets: {
      build: {
        executor: 'nx:run-commands',
        outputs: ['{workspaceRoot}/dist/{projectRoot}'],
        options: { commands: ['tsc -p {projectRoot}/tsconfig.app.json', 'tsc-alias -p {projectRoot}/tsconfig.app.json'], parallel: false },
      },
      typecheck: { executor: 'nx:run-commands', options: { command: 'tsc -p {projectRoot}/tsconfig.spec.json --noEmit' } },
      lint: { executor: 'nx:run-commands', options: { command: 'eslint --max-warnings=0 {projectRoot}' } },
      test: { executor: 'nx:run-commands', options: { command: 'jest -c {projectRoot}/jest.config.js --passWithNoTests' } },
      serve: {
        executor: 'nx:run-commands',
        continuous: true,
        options: { command: `node -r @swc-node/register ${appRoot}/src/main.ts`, env: { SWC_NODE_PROJECT: 'tsconfig.base.json' } },
      },
    },
  });
  const n = names(name);
  // The app imports existing libraries only (@conveyor/stage-host, @conveyor/stage-runtime): no new path alias.
  generateFiles(tree, path.join(__dirname, 'files'), appRoot, {
    name,
    className: n.className,
    propertyName: n.propertyName,
    constantName: n.constantName,
    pipeline,
    after: edit.after,
    next: edit.next,
    input: edit.input,
    eventType: `conveyor.${pipeline}.${name}.v1`,
  });
  // The app's image: every stage Dockerfile is the same but for the app's name (the shared
  // `deps`/`runtime-deps` layers must stay byte-identical), so the redact app's is the template.
  const template = tree.read('docker/redact.Dockerfile', 'utf-8');
  if (template && !tree.exists(`docker/${name}.Dockerfile`)) tree.write(`docker/${name}.Dockerfile`, template.replace(/\bredact\b/g, name));
  // Formats what was generated so far. The pipeline file is written afterwards
  // on purpose: the formatter would rewrite the whole file, and the edit is
  // meant to change only the lines it inserts and the one input it rewires.
  await formatFiles(tree);
  tree.write(pipelineFile, edit.source);

  const hasGenerate = typeof readJson<{ scripts?: Record<string, string> }>(tree, 'package.json').scripts?.['generate'] === 'string';
  return () => {
    logger.info(`Stage "${name}" of pipeline ${pipeline}: ${edit.after} → ${name} → ${edit.next} (reads "${edit.input}", writes "${name}").`);
    logger.info(`Handler: ${appRoot}/src/${name}.stage.ts; test it with: npx jest -c ${appRoot}/jest.config.js`);
    // A generator must not start processes (and `--dry-run` writes nothing to regenerate from): the deployments are one command away.
    logger.info(
      hasGenerate
        ? 'Deployment artifacts (compose.yaml, k8s/): run npm run generate'
        : 'Deployment artifacts (compose.yaml, k8s/) are not generated by this workspace yet: add the stage there by hand.',
    );
  };
}

export default stageGenerator;
