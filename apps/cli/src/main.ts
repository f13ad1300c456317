import { join } from 'node:path';
import { parseSince, runDlqList, runDlqReplay, runDlqShow, type DlqContext } from '@conveyor/dead-letters';
import { findWorkspaceRoot } from '@conveyor/kafka-local';
import { OcrExitCode, runOcrCommand, runRedactCommand } from '@conveyor/ocr-client';
import { serviceName, selectPipelines } from '@conveyor/pipeline';
import { PIPELINES } from '@conveyor/pipelines';
import {
  canaryProcesses,
  CanaryUsageError,
  collectStatus,
  defaultCanaryDir,
  formatStatusTable,
  formatVersionsTable,
  parseCanarySettings,
  planProcesses,
  readCanaries,
  resolveCanaryStage,
  startCanary,
  startLocalPlatform,
  type StageProcessRef,
} from '@conveyor/platform';
import { ReplayExitCode, runReplayCommand } from '@conveyor/replay';
import { runShadowReport, runShadowStart, runShadowStop, type ShadowContext } from '@conveyor/shadow';
import { Command, InvalidArgumentError } from 'commander';
import { silenceKafkajsNegativeTimeoutWarning } from '@conveyor/stage-runtime';

// `conveyor`: the command line of the local platform. Logic lives in libs; this file only wires commands.

silenceKafkajsNegativeTimeoutWarning();
const env = process.env;
const redisUrl = env['REDIS_URL'] || 'redis://127.0.0.1:6379';
const topicPrefix = env['TOPIC_PREFIX'] ?? '';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

/** `--pipeline a,b` or CONVEYOR_PIPELINES; empty = every pipeline. Unknown names are a usage error. */
function pipelineNames(value: string | undefined): string[] {
  const names = (value ?? '').split(',').map((n) => n.trim()).filter(Boolean);
  try {
    selectPipelines(PIPELINES, names);
  } catch (error) {
    process.stderr.write(`conveyor: ${(error as Error).message}\n`);
    process.exit(OcrExitCode.usage);
  }
  return names.length > 0 ? names : PIPELINES.map((p) => p.name);
}

function brokers(): string[] {
  return (env['KAFKA_BROKERS'] || '127.0.0.1:9092').split(',').map((b) => b.trim()).filter(Boolean);
}

const program = new Command()
  .name('conveyor')
  .description(`Conveyor: ML inference as pipelines of Kafka-connected stages (pipelines: ${PIPELINES.map((p) => p.name).join(', ')})`)
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : OcrExitCode.usage));

program
  .command('up')
  .description('start the local platform: Kafka (unless KAFKA_BROKERS), the topics and stage services of every pipeline (or --pipeline)')
  .option('--pipeline <names>', `pipelines to run, comma-separated (default: all of ${PIPELINES.map((p) => p.name).join(', ')}; env CONVEYOR_PIPELINES)`, env['CONVEYOR_PIPELINES'])
  .option('--partitions <n>', 'partitions of each pipeline topic when it is created', positiveInt, Number(env['CONVEYOR_PARTITIONS'] || 4))
  .option('--kafka-port <port>', 'port of the local Kafka broker', positiveInt, 9092)
  .option('--http-base-port <port>', 'health/metrics port of the first stage (the others follow in definition order)', positiveInt, 8081)
  .action(async (opts: { pipeline?: string; partitions: number; kafkaPort: number; httpBasePort: number }) => {
    const pipelines = pipelineNames(opts.pipeline);
    const root = findWorkspaceRoot();
    const log = (line: string) => process.stdout.write(`${line}\n`);
    let platform;
    try {
      platform = await startLocalPlatform({
        kafkaBrokers: env['KAFKA_BROKERS'] || undefined,
        kafkaPort: opts.kafkaPort,
        kafkaDataDir: join(root, '.conveyor', 'kafka-data'),
        redisUrl,
        topicPrefix,
        partitions: opts.partitions,
        pipelines,
        httpBasePort: opts.httpBasePort,
        env: { ...env, LOG_LEVEL: env['LOG_LEVEL'] || 'info' },
        log,
      });
    } catch (error) {
      process.stderr.write(`conveyor up: ${(error as Error).message}\n`);
      process.exit(OcrExitCode.unreachable);
    }
    log(`conveyor is ready: Kafka ${platform.brokers}, Redis ${redisUrl}, pipelines ${pipelines.map((p) => `${p} (${topicPrefix}${p}.*)`).join(', ')}`);
    log(`try: npm run conveyor -- ${pipelines.includes('ocr') ? 'ocr samples/' : 'redact samples/ --out redacted/'}    (Ctrl-C stops everything)`);
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: stopping the stages and Kafka…`);
      platform.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`conveyor up: stop failed: ${(error as Error).message}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    // Stages that die are restarted, and so is the local broker; only a broker that cannot be started again ends `up`.
    void platform.failed.then((error) => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`conveyor up: ${error.message}; the stages were stopped. Fix the cause and run it again.\n`);
      platform.stop().finally(() => process.exit(1));
    });
  });

program
  .command('ocr')
  .description('publish images to the input topic, wait for the results and print the text')
  .argument('<paths...>', 'image files or folders (searched recursively)')
  .option('--json', 'print the results as JSON')
  .option('--annotate <dir>', 'write each image with its boxes and text drawn on it into <dir>')
  .option('--timeout <seconds>', 'how long to wait for results', positiveInt, 120)
  .option('--no-progress', 'never show a progress bar')
  .action(async (paths: string[], opts: { json?: boolean; annotate?: string; timeout: number; progress: boolean }) => {
    const code = await runOcrCommand({
      paths,
      brokers: brokers(),
      redisUrl,
      topicPrefix,
      json: Boolean(opts.json),
      annotateDir: opts.annotate,
      timeoutMs: opts.timeout * 1000,
      progress: opts.progress ? undefined : false,
    });
    process.exit(code);
  });

program
  .command('redact')
  .description('publish images to the redaction pipeline and write each with its text blacked out')
  .argument('<paths...>', 'image files or folders (searched recursively)')
  .requiredOption('--out <dir>', 'where the redacted PNGs are written (<name>.redacted.png)')
  .option('--json', 'print the results as JSON')
  .option('--timeout <seconds>', 'how long to wait for results', positiveInt, 120)
  .action(async (paths: string[], opts: { out: string; json?: boolean; timeout: number }) => {
    const code = await runRedactCommand({ paths, outDir: opts.out, brokers: brokers(), redisUrl, topicPrefix, json: Boolean(opts.json), timeoutMs: opts.timeout * 1000 });
    process.exit(code);
  });

program
  .command('status')
  .description(
    'per stage: readiness, versions (package, configuration hash, models), consumer lag and throughput; then per stage ' +
      'and version (canaries beside the live version): replicas, partitions owned, messages consumed, error rate, latency',
  )
  .option('--pipeline <names>', 'pipelines to report on, comma-separated (default: all)', env['CONVEYOR_PIPELINES'])
  .option('--http-base-port <port>', 'health port of the first stage, as given to `up` (the others follow)', positiveInt, 8081)
  .option('--stage-url <service=url...>', 'health base URL of a stage process, e.g. ocr-inference=http://10.0.0.7:8080 (repeatable; the first of a service replaces the local default, further ones add processes, e.g. pods)')
  .option('--sample <seconds>', 'how long to watch offsets to measure throughput', positiveInt, 2)
  .option('--json', 'print the status as JSON')
  .action(async (opts: { pipeline?: string; httpBasePort: number; stageUrl?: string[]; sample: number; json?: boolean }) => {
    const names = pipelineNames(opts.pipeline);
    const pipelines = selectPipelines(PIPELINES, names);
    const plan = planProcesses(PIPELINES, names, opts.httpBasePort);
    const healthUrls: Record<string, string> = Object.fromEntries(plan.map((p) => [p.name, `http://127.0.0.1:${p.httpPort}`]));
    // Further replicas of `up` (`ocr-inference-2`…) and running canaries (`conveyor canary start`) are processes of their stage too.
    const processes: StageProcessRef[] = plan
      .filter((p) => p.replica > 1)
      .map((p) => ({ service: serviceName(p.pipeline, p.stage), name: p.name, url: `http://127.0.0.1:${p.httpPort}` }));
    processes.push(...canaryProcesses(readCanaries(defaultCanaryDir(), topicPrefix)));
    const services = pipelines.flatMap((p) => p.stages.map((s) => serviceName(p, s)));
    const given = new Map<string, number>();
    for (const entry of opts.stageUrl ?? []) {
      const [service, url] = entry.split(/=(.*)/s);
      if (!services.includes(service) || !/^https?:\/\/\S+$/.test(url ?? '')) {
        process.stderr.write(`conveyor status: --stage-url wants <service>=<http url> with a service of ${services.join(', ')} (got "${entry}")\n`);
        process.exit(OcrExitCode.usage);
      }
      const n = (given.get(service) ?? 0) + 1;
      given.set(service, n);
      if (n === 1) healthUrls[service] = url.replace(/\/$/, '');
      else processes.push({ service, name: `${service}@${n}`, url: url.replace(/\/$/, '') });
    }
    let rows;
    try {
      rows = await collectStatus({ brokers: brokers(), topicPrefix, pipelines, healthUrls, processes, sampleMs: opts.sample * 1000 });
    } catch (error) {
      process.stderr.write(`conveyor status: Kafka at ${brokers().join(',')} is unreachable: ${(error as Error).message}\n`);
      process.exit(OcrExitCode.unreachable);
    }
    process.stdout.write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : `${formatStatusTable(rows)}\n${formatVersionsTable(rows)}`);
    process.exit(rows.every((r) => r.ready) ? 0 : 1);
  });

const canary = program
  .command('canary')
  .description('partition canary: one more process of a live stage, with other settings, in the LIVE consumer group (it takes its share of partitions)');

canary
  .command('start')
  .description(
    'run a canary of a stage of the running platform (same brokers, TOPIC_PREFIX and consumer group; its own port) in the ' +
      'foreground until Ctrl-C or SIGTERM, which rolls it back: it drains, leaves the group, and its partitions go back to the live replicas',
  )
  .requiredOption('--pipeline <name>', `the pipeline (${PIPELINES.map((p) => p.name).join(', ')})`)
  .requiredOption('--stage <stage>', 'the stage of that pipeline')
  .option('--set <ENV=value>', 'a setting of the new version, e.g. MAX_PAGE_SIDE=1536 (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
  .option('--name <name>', 'its name in `conveyor status` (default: <pipeline>-<stage>-canary)')
  .option('--http-port <port>', 'its health and metrics port (default: a free one)', positiveInt)
  .action(async (opts: { pipeline: string; stage: string; set: string[]; name?: string; httpPort?: number }) => {
    const log = (line: string) => process.stdout.write(`${line}\n`);
    let settings: Record<string, string>;
    try {
      resolveCanaryStage(PIPELINES, opts.pipeline, opts.stage);
      settings = parseCanarySettings(opts.set);
    } catch (error) {
      process.stderr.write(`conveyor canary start: ${(error as Error).message}\n`);
      process.exit(OcrExitCode.usage);
    }
    let running;
    try {
      running = await startCanary({
        pipeline: opts.pipeline,
        stage: opts.stage,
        settings,
        name: opts.name,
        brokers: brokers(),
        redisUrl,
        topicPrefix,
        httpPort: opts.httpPort ?? 0,
        env: { ...env, LOG_LEVEL: env['LOG_LEVEL'] || 'info' },
        log,
      });
    } catch (error) {
      const usage = error instanceof CanaryUsageError;
      process.stderr.write(`conveyor canary start: ${(error as Error).message}\n`);
      process.exit(usage ? OcrExitCode.usage : OcrExitCode.unreachable);
    }
    const active = running;
    const { record } = active;
    log(
      `canary ${record.name} is ready: ${record.pipeline}/${record.stage} in group ${record.groupId} at ${record.url}` +
        ` with ${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(' ') || 'the live settings'}`,
    );
    log('compare: npm run conveyor -- status    (Ctrl-C rolls the canary back)');
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: rolling back canary ${record.name} (draining; its partitions go back to the live replicas)…`);
      active.stop().then(
        () => {
          log(`canary ${record.name} stopped`);
          process.exit(0);
        },
        (error: unknown) => {
          process.stderr.write(`conveyor canary start: stop failed: ${(error as Error).message}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });

canary
  .command('list')
  .description('the canaries running here (under this TOPIC_PREFIX)')
  .option('--json', 'print them as JSON')
  .action((opts: { json?: boolean }) => {
    const records = readCanaries(defaultCanaryDir(), topicPrefix);
    if (opts.json) process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
    else for (const r of records) process.stdout.write(`${r.name}  ${r.pipeline}/${r.stage}  ${r.url}  pid ${r.pid}  ${Object.entries(r.settings).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
    process.exit(0);
  });

/** `conveyor dlq …`: the context of every subcommand (the pipelines of --pipeline, else all). */
function dlqContext(pipelineOption: string | undefined): DlqContext {
  return {
    brokers: brokers(),
    redisUrl,
    topicPrefix,
    pipelines: selectPipelines(PIPELINES, pipelineNames(pipelineOption)),
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  };
}

function sinceOption(value: string): Date {
  try {
    return parseSince(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

interface DlqFilterOptions {
  pipeline?: string;
  stage?: string;
  code?: string;
  since?: Date;
  id?: string[];
}

const dlq = program
  .command('dlq')
  .description('dead letters: list them, show one, replay them to the topic they failed on (reads the <topic>.dlq topics of the pipelines)');

dlq
  .command('list')
  .description('list dead letters, oldest first: stage, code, attempts, origin, time, and the request\'s current result')
  .option('--pipeline <names>', 'pipelines, comma-separated (default: all)')
  .option('--stage <stage>', 'only dead letters of this stage')
  .option('--code <code>', 'only this error code (e.g. IMAGE_TOO_LARGE, POISON)')
  .option('--since <time>', 'only dead letters written since: ISO date or time, or an age (30m, 2h, 7d)', sinceOption)
  .option('--json', 'print them as JSON')
  .action(async (opts: DlqFilterOptions & { json?: boolean }) => {
    const filter = { stage: opts.stage, code: opts.code, since: opts.since };
    process.exit(await runDlqList(dlqContext(opts.pipeline), { filter, json: Boolean(opts.json) }));
  });

dlq
  .command('show')
  .description('show the dead letters of a request (or the one at <dlq topic>/<partition>/<offset>): reason, origin, every header, current result')
  .argument('<id>', 'a request id, or a dead letter\'s position as `dlq list --json` prints it')
  .option('--pipeline <names>', 'pipelines to look in, comma-separated (default: all)')
  .option('--save-value <file>', 'write the (newest) dead letter\'s payload bytes to <file>')
  .option('--json', 'print them as JSON')
  .action(async (id: string, opts: { pipeline?: string; saveValue?: string; json?: boolean }) => {
    process.exit(await runDlqShow(dlqContext(opts.pipeline), { id, saveValue: opts.saveValue, json: Boolean(opts.json) }));
  });

dlq
  .command('replay')
  .description(
    'publish dead letters again to the topic they failed on (original key, value and headers); a request\'s failed result ' +
      'is deleted first so its new result is stored; requests that already have an ok result are skipped',
  )
  .option('--id <ids...>', 'request ids or dead-letter positions')
  .option('--pipeline <names>', 'pipelines, comma-separated (default: all)')
  .option('--stage <stage>', 'only dead letters of this stage')
  .option('--code <code>', 'only this error code')
  .option('--since <time>', 'only dead letters written since: ISO date or time, or an age (30m, 2h, 7d)', sinceOption)
  .option('--all', 'every dead letter (needed when no other selection is given)')
  .option('--dry-run', 'say what would be replayed, change nothing')
  .option('--json', 'print the outcomes as JSON')
  .action(async (opts: DlqFilterOptions & { all?: boolean; dryRun?: boolean; json?: boolean }) => {
    if (!opts.all && !opts.id?.length && !opts.pipeline && !opts.stage && !opts.code && !opts.since) {
      process.stderr.write('conveyor dlq replay: say which dead letters (--id, --pipeline, --stage, --code, --since), or --all\n');
      process.exit(OcrExitCode.usage);
    }
    const filter = { ids: opts.id, stage: opts.stage, code: opts.code, since: opts.since };
    process.exit(await runDlqReplay(dlqContext(opts.pipeline), { filter, dryRun: Boolean(opts.dryRun), json: Boolean(opts.json) }));
  });

program
  .command('replay')
  .description(
    'replay past requests: re-read a time window of the input topic, run it through a copy of the pipeline (own topics ' +
      '`replay.<run id>.*`, request ids `<run id>.<id>`, --set settings) and compare each result with the live one; live ' +
      'topics, groups and results are only read. Ctrl-C stops it; the same --run-id resumes it',
  )
  .option('--since <time>', 'start of the window: ISO date or time, or an age (15m, 2h, 7d)')
  .option('--until <time>', 'end of the window (default: the end of the topic when the replay starts)')
  .option('--pipeline <name>', `the pipeline (default: ${PIPELINES[0].name})`)
  .option('--run-id <id>', 'name of the run (default: r<date>-<time>-<random>); an existing run id resumes that run')
  .option('--pipeline-version <label>', 'a label for the version replayed, recorded in the report')
  .option('--set <stage.ENV=value>', 'a setting of a replayed stage, e.g. features.DET_LIMIT_SIDE=640 (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
  .option('--no-start', 'replay into an already deployed replay pipeline (needs --topic-prefix) instead of starting its stages here')
  .option('--topic-prefix <prefix>', 'with --no-start: TOPIC_PREFIX of the deployed replay pipeline')
  .option('--cleanup', 'delete the replay topics, consumer groups and state at the end (default when it starts its own stages)')
  .option('--no-cleanup', 'keep them')
  .option('--timeout <seconds>', 'how long to wait for the replay results once everything is copied', positiveInt, 600)
  .option('--result-ttl <seconds>', 'how long the replay results stay in Redis (RESULT_TTL_SECONDS of the stages it starts; default: RESULT_TTL_SECONDS, else 86400)', positiveInt)
  .option('--top <n>', 'how many of the most different requests to list', positiveInt, 10)
  .option('--state-dir <dir>', 'where run plans are kept for resuming (default: .conveyor/replay)')
  .option('--json', 'print the report as JSON')
  .option('--no-progress', 'never show a progress bar')
  .action(async (opts: { since?: string; until?: string; pipeline?: string; runId?: string; pipelineVersion?: string; set: string[]; start: boolean; topicPrefix?: string; cleanup?: boolean; timeout: number; resultTtl?: number; top: number; stateDir?: string; json?: boolean; progress: boolean }) => {
    const stop = new AbortController();
    const interrupt = () => {
      if (stop.signal.aborted) process.exit(ReplayExitCode.interrupted);
      process.stderr.write('\nconveyor replay: stopping after the chunk in flight (Ctrl-C again to quit at once)…\n');
      stop.abort();
    };
    process.on('SIGINT', interrupt);
    process.on('SIGTERM', interrupt);
    const ctx = { brokers: brokers(), redisUrl, topicPrefix, definitions: PIPELINES, out: (t: string) => process.stdout.write(t), err: (t: string) => process.stderr.write(t), isTTY: Boolean(process.stderr.isTTY) };
    process.exit(await runReplayCommand(ctx, { ...opts, signal: stop.signal }));
  });

const shadow = program
  .command('shadow')
  .description(
    'shadow a new version of a stage: it and the stages after it run as consumer groups of their own on the live input ' +
      '(topics `shadow.<name>.*`, results under `conveyor:shadow:<name>:…`); a comparer reports the differences with the live ' +
      'results as metrics and `shadow report`; live topics, groups and results are never written',
  );
const shadowContext = (): ShadowContext => ({ brokers: brokers(), redisUrl, topicPrefix, definitions: PIPELINES, out: (t: string) => process.stdout.write(t), err: (t: string) => process.stderr.write(t) });
shadow
  .command('start')
  .description('run a shadow in the foreground until Ctrl-C (or `shadow stop`): then print its report and delete its topics, groups and Redis keys')
  .option('--pipeline <name>', `the pipeline (default: ${PIPELINES[0].name})`)
  .option('--stage <stage>', 'the stage whose new version the shadow runs (the stages after it run in shadow too)')
  .option('--name <name>', 'name of the shadow (a DNS label): its topics, groups, keys and metrics label')
  .option('--set <stage.ENV=value>', 'a setting of a shadow stage, e.g. preprocess.DET_LIMIT_SIDE=640 (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
  .option('--metrics-port <port>', "port of the comparer's /metrics (default: a free one, printed)", positiveInt)
  .option('--partitions <n>', "partitions of the shadow's topics (default: the live input topic's)", positiveInt)
  .option('--live-wait <seconds>', 'how long a shadow result waits for the live result of its request', positiveInt, 300)
  .option('--from-beginning', 'read the live input topic from its beginning (default: from its end when the shadow starts)')
  .action(async (opts: { pipeline?: string; stage?: string; name?: string; set: string[]; metricsPort?: number; partitions?: number; liveWait: number; fromBeginning?: boolean }) => {
    const stop = new AbortController();
    const interrupt = () => {
      if (stop.signal.aborted) process.exit(130);
      stop.abort();
    };
    process.on('SIGINT', interrupt);
    process.on('SIGTERM', interrupt);
    process.exit(await runShadowStart(shadowContext(), { ...opts, signal: stop.signal }));
  });
shadow
  .command('report')
  .description("compare the shadow's results so far with the live results of the same requests (CER, lines, confidence, time, versions)")
  .option('--name <name>', 'name of the shadow')
  .option('--pipeline <name>', 'the pipeline, when the shadow was not started here')
  .option('--top <n>', 'how many of the most different requests to list', positiveInt, 10)
  .option('--json', 'print the report as JSON')
  .action(async (opts: { name?: string; pipeline?: string; top: number; json?: boolean }) => {
    process.exit(await runShadowReport(shadowContext(), opts));
  });
shadow
  .command('stop')
  .description('stop a running shadow (it prints its report) and delete its topics, consumer groups and Redis keys; cleans up after a dead one too')
  .option('--name <name>', 'name of the shadow')
  .option('--pipeline <name>', 'the pipeline, when the shadow was not started here')
  .option('--stage <stage>', 'its entry stage, when the shadow was not started here (default: the first: everything is cleaned up)')
  .action(async (opts: { name?: string; pipeline?: string; stage?: string }) => {
    process.exit(await runShadowStop(shadowContext(), opts));
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`conveyor: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
