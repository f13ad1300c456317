import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { findFreePort } from '@conveyor/kafka-local';
import { kafkaBrokers, redisUrl, uniqueName, waitFor } from '@conveyor/testing';
import { Kafka, logLevel } from 'kafkajs';
import { insertStage } from './pipeline-source';

/**
 * The walkthrough of tools/nx-conveyor/README.md ("Add your own model"), for
 * real: a copy of the repository (tracked and new files, node_modules linked),
 * `nx g` there, then the app's build, type check, lint and tests, the pipeline
 * definitions loaded, the built app started, the README's handler checked and
 * the built stage run on this test run's Kafka and Redis under its pipeline's
 * topics, and the deployment files generated.
 * The commands are taken from the README's `workspace test` blocks, which must
 * say exactly what is expected below.
 */

const exec = promisify(execFile);
const workspaceRoot = path.resolve(__dirname, '../../../../..');
const readme = readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8');

const EXPECTED_COMMANDS = {
  generate: ['npx nx g @conveyor/nx-conveyor:stage denoise --pipeline ocr --after preprocess'],
  check: [
    'npx nx run denoise:build --excludeTaskDependencies',
    'npx tsc -p apps/denoise/tsconfig.spec.json --noEmit',
    'npx eslint --max-warnings=0 apps/denoise pipelines',
    'npx jest -c apps/denoise/jest.config.js',
  ],
  'check-handler': ['npx tsc -p apps/denoise/tsconfig.app.json --noEmit', 'npx eslint --max-warnings=0 apps/denoise'],
  deploy: ['npm run generate'],
};

/** A README's code blocks marked `<!-- workspace test: <id> -->`. */
function readmeBlocks(text: string = readme): Record<string, string> {
  const blocks: Record<string, string> = {};
  for (const m of text.matchAll(/<!-- workspace test: ([\w-]+) -->\r?\n```\w*\r?\n([\s\S]*?)```/g)) blocks[m[1]] = m[2];
  return blocks;
}

it("the root README's \"Add your own model\" blocks are the walkthrough's", () => {
  const root = readmeBlocks(readFileSync(path.join(workspaceRoot, 'README.md'), 'utf8'));
  const walkthrough = readmeBlocks();
  expect(Object.keys(root).sort()).toEqual(['deploy', 'generate']);
  for (const id of Object.keys(root)) expect(commandsOf(root[id])).toEqual(commandsOf(walkthrough[id]));
});

function commandsOf(block: string | undefined): string[] {
  return (block ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

const childEnv: NodeJS.ProcessEnv = {
  ...process.env,
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  NX_INTERACTIVE: 'false',
  FORCE_COLOR: '0',
  NO_COLOR: '1',
  // The child Jest is a CLI run of its own, not one of this run's workers.
  JEST_WORKER_ID: undefined,
};

interface Ran {
  code: number;
  output: string;
}

async function sh(cwd: string, command: string, env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  try {
    const { stdout, stderr } = await exec('bash', ['-c', command], { cwd, env: { ...childEnv, ...env }, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? String(error)}` };
  }
}

/** Runs `command` in `cwd`; a failure throws with the end of its output. */
async function ok(cwd: string, command: string): Promise<string> {
  const ran = await sh(cwd, command);
  if (ran.code !== 0) throw new Error(`\`${command}\` exited ${ran.code}:\n${ran.output.slice(-6000)}`);
  // Without a project graph the module boundary rule skips silently (a warning, exit 0): the lint would prove little.
  if (command.includes('eslint')) expect(ran.output).not.toContain('No cached ProjectGraph');
  return ran.output;
}

/** Tracked files and new, not ignored ones (as they are in the working tree), with node_modules linked. */
async function copyWorkspace(to: string): Promise<void> {
  const { stdout } = await exec('git', ['ls-files', '-z', '-co', '--exclude-standard'], { cwd: workspaceRoot, maxBuffer: 64 * 1024 * 1024 });
  for (const file of new Set(stdout.split('\0').filter(Boolean))) {
    const from = path.join(workspaceRoot, file);
    // Skips files deleted in the working tree but still in the index, and submodules.
    if (!existsSync(from) || !statSync(from).isFile()) continue;
    mkdirSync(path.dirname(path.join(to, file)), { recursive: true });
    copyFileSync(from, path.join(to, file));
  }
  symlinkSync(path.join(workspaceRoot, 'node_modules'), path.join(to, 'node_modules'), 'dir');
}

describe('the stage generator in a copy of the workspace (README walkthrough)', () => {
  const blocks = readmeBlocks();
  let dir = '';
  let generated = false;
  const requireGenerated = () => {
    if (!generated) throw new Error('the stage was not generated (see the first failure)');
  };

  beforeAll(async () => {
    if (existsSync(path.join(workspaceRoot, 'apps/denoise'))) throw new Error('apps/denoise exists in the workspace: the walkthrough needs the name');
    dir = mkdtempSync(path.join(tmpdir(), 'conveyor-stage-'));
    await copyWorkspace(dir);
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("runs the README's commands", () => {
    for (const [id, commands] of Object.entries(EXPECTED_COMMANDS)) expect({ id, commands: commandsOf(blocks[id]) }).toEqual({ id, commands });
    expect(blocks['handler']).toContain("export const denoiseStage = defineStage({ app: 'denoise'");
  });

  it('generates the stage with nx g', async () => {
    const original = readFileSync(path.join(dir, 'pipelines/ocr/pipeline.ts'), 'utf8');
    const output = await ok(dir, EXPECTED_COMMANDS.generate[0]);
    expect(output).toContain('CREATE apps/denoise/src/denoise.stage.ts');
    expect(output).toContain('UPDATE pipelines/ocr/pipeline.ts');
    expect(output).toContain('preprocess → denoise → features');
    const scripts = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
    if (scripts['generate']) expect(output).toContain('run npm run generate');
    // The edit on disk is the pure function's, byte for byte (which its own tests pin down).
    expect(readFileSync(path.join(dir, 'pipelines/ocr/pipeline.ts'), 'utf8')).toBe(insertStage(original, { name: 'denoise', after: 'preprocess' }).source);
    for (const file of ['project.json', 'src/main.ts', 'src/denoise.stage.ts', 'src/denoise.stage.spec.ts']) {
      expect(existsSync(path.join(dir, 'apps/denoise', file))).toBe(true);
    }
    generated = true;
  }, 120_000);

  it('puts the stage in the pipeline definition, which validates', async () => {
    requireGenerated();
    const script = path.join(dir, 'print-stages.ts');
    writeFileSync(
      script,
      "import { PIPELINES } from '@conveyor/pipelines';\n" +
        "const p = PIPELINES.find((x) => x.name === 'ocr')!;\n" +
        'process.stdout.write(JSON.stringify(p.stages.map(({ name, app, input, output }) => ({ name, app, input, output }))));\n',
    );
    const ran = await sh(dir, 'node -r @swc-node/register print-stages.ts', { SWC_NODE_PROJECT: 'tsconfig.base.json' });
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.output.slice(ran.output.indexOf('[')))).toEqual([
      { name: 'preprocess', app: 'preprocess', input: 'requests', output: 'preprocessed' },
      { name: 'denoise', app: 'denoise', input: 'preprocessed', output: 'denoise' },
      { name: 'features', app: 'features', input: 'denoise', output: 'regions' },
      { name: 'inference', app: 'inference', input: 'regions', output: 'recognized' },
      { name: 'postprocess', app: 'postprocess', input: 'recognized', output: 'results' },
    ]);
  }, 60_000);

  it('builds, type-checks, lints and tests the app', async () => {
    requireGenerated();
    // The build first: it refreshes the project graph, which the lint's module boundary rule reads.
    for (const command of EXPECTED_COMMANDS.check) await ok(dir, command);
    expect(existsSync(path.join(dir, 'dist/apps/denoise/apps/denoise/src/main.js'))).toBe(true);
  }, 300_000);

  it('starts the built app, which finds its stage and checks its configuration', async () => {
    requireGenerated();
    // A broker list that fails validation: the app has resolved its stage (no PIPELINE/STAGE needed) and exits 78 before connecting.
    const ran = await sh(dir, 'node dist/apps/denoise/apps/denoise/src/main.js', { KAFKA_BROKERS: '::bad' });
    expect(ran.output).toContain('denoise: invalid configuration');
    expect(ran.output).toContain('KAFKA_BROKERS');
    expect(ran.output).not.toContain('PIPELINE/STAGE');
    expect(ran.code).toBe(78);
  }, 60_000);

  it('runs the generated stage on the real Kafka and Redis, bound to its topics by the pipeline definition', async () => {
    requireGenerated();
    const prefix = `${uniqueName('gen')}.`;
    const httpPort = await findFreePort();
    const kafka = new Kafka({ clientId: 'generator-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const topics = ['ocr.preprocessed', 'ocr.denoise', 'ocr.preprocessed.dlq', 'ocr.results'].map((t) => prefix + t);
    await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: 1 })) });
    const stage = spawn(process.execPath, ['dist/apps/denoise/apps/denoise/src/main.js'], {
      cwd: dir,
      // PIPELINE/STAGE as the launcher, compose and Kubernetes set them.
      env: { ...childEnv, PIPELINE: 'ocr', STAGE: 'denoise', KAFKA_BROKERS: kafkaBrokers().join(','), REDIS_URL: redisUrl(), TOPIC_PREFIX: prefix, HTTP_PORT: String(httpPort), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    stage.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    stage.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const consumer = kafka.consumer({ groupId: uniqueName('gen-out') });
    const producer = kafka.producer();
    try {
      await waitFor('the generated stage to be ready', async () => (await fetch(`http://127.0.0.1:${httpPort}/health/ready`).then((r) => r.ok, () => false)) || stage.exitCode !== null, 120_000, () => log);
      expect({ exited: stage.exitCode, log: stage.exitCode === null ? '' : log }).toEqual({ exited: null, log: '' });
      const received: Array<{ value: string; type?: string }> = [];
      await consumer.connect();
      await consumer.subscribe({ topic: `${prefix}ocr.denoise`, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void received.push({ value: message.value?.toString() ?? '', type: message.headers?.['ce_type']?.toString() }) });
      await producer.connect();
      await producer.send({
        topic: `${prefix}ocr.preprocessed`,
        messages: [{ key: 'gen-1', value: Buffer.from('payload'), headers: { ce_specversion: '1.0', ce_id: 'gen-1', ce_source: '/test', ce_type: 'conveyor.ocr.preprocessed.v1', 'content-type': 'application/octet-stream' } }],
      });
      await waitFor('the pass-through output on ocr.denoise', () => received.length > 0, 60_000, () => log);
      expect(received[0]).toEqual({ value: 'payload', type: 'conveyor.ocr.denoise.v1' });
      const exited = new Promise<number | null>((resolve) => stage.once('exit', (code) => resolve(code)));
      stage.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (stage.exitCode === null) stage.kill('SIGKILL');
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
    }
  }, 240_000);

  it("compiles and lints the README's handler", async () => {
    requireGenerated();
    writeFileSync(path.join(dir, 'apps/denoise/src/denoise.stage.ts'), blocks['handler']!);
    for (const command of EXPECTED_COMMANDS['check-handler']) await ok(dir, command);
  }, 180_000);

  it('adds the stage to the generated deployment files', async () => {
    requireGenerated();
    const output = await ok(dir, EXPECTED_COMMANDS.deploy[0]);
    expect(output).toContain('k8s/base/ocr-denoise/deployment.yaml');
    expect(readFileSync(path.join(dir, 'compose.yaml'), 'utf8')).toContain('  ocr-denoise:\n');
    // Its image is docker/stage.Dockerfile with APP=denoise: no Dockerfile of its own.
    expect(readFileSync(path.join(dir, 'compose.yaml'), 'utf8')).toContain('      dockerfile: docker/stage.Dockerfile\n      args:\n        APP: denoise\n');
    expect(readFileSync(path.join(dir, 'tools/deploy/images.txt'), 'utf8')).toMatch(/^denoise docker\/stage\.Dockerfile -$/m);
    expect(existsSync(path.join(dir, 'docker', 'denoise.Dockerfile'))).toBe(false);
    expect(JSON.parse(readFileSync(path.join(dir, 'apps/denoise/project.json'), 'utf8')).targets.image.options.command).toBe(
      'tools/deploy/build-images.sh --images {projectName}',
    );
    expect(readFileSync(path.join(dir, 'docker/kafka/topics.txt'), 'utf8')).toMatch(/^ocr\.denoise /m);
    await ok(dir, 'npm run generate -- --check');
  }, 120_000);
});
