import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds: from a fast hop (a few ms) to a slow page on CPU (tens of seconds). */
const STAGE_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds: cls on one line (~1 ms) to det on a big page or a large GPU batch. */
const MODEL_RUN_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128];

/** What `conveyor_stage_info` says about a stage process (docs/architecture.md, "Versions"). */
export interface StageInfo {
  pipeline: string;
  version: string;
  configHash: string;
  /** Model files and the SHA-256 of each; none for a stage without a model. */
  models: ReadonlyArray<{ name: string; sha256: string }>;
}

type StageInfoLabel = 'pipeline' | 'version' | 'config_hash' | 'model' | 'model_sha256';

/**
 * The Prometheus metrics of one stage process, on a registry of its own with
 * the default label `stage`. The names are a contract: the Grafana dashboard
 * and alerts under docker/ query exactly these.
 */
export class StageMetrics {
  readonly registry = new Registry();

  readonly consumed: Counter<'topic'>;
  readonly produced: Counter<'topic'>;
  readonly failed: Counter<'topic' | 'code'>;
  readonly deadLettered: Counter<'topic' | 'code'>;
  readonly deadLetterHookFailures: Counter<'topic'>;
  readonly clientErrors: Counter<'client'>;
  readonly stageDuration: Histogram<'topic' | 'outcome'>;
  readonly modelRun: Histogram<'model' | 'provider'>;
  readonly batchSize: Histogram<'topic'>;
  readonly inFlight: Gauge;
  readonly queueDepth: Gauge;
  readonly consumerLag: Gauge<'topic' | 'partition'>;
  readonly assignedPartition: Gauge<'topic' | 'partition'>;
  readonly up: Gauge;
  readonly stageInfo: Gauge<StageInfoLabel>;

  constructor(readonly stage: string) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ stage });
    this.consumed = new Counter({
      name: 'conveyor_messages_consumed_total',
      help: 'Messages taken from an input topic (each delivery, redeliveries included).',
      labelNames: ['topic'],
      registers,
    });
    this.produced = new Counter({
      name: 'conveyor_messages_produced_total',
      help: 'Messages published to an output topic and acknowledged by Kafka.',
      labelNames: ['topic'],
      registers,
    });
    this.failed = new Counter({
      name: 'conveyor_messages_failed_total',
      help: 'Failed processing attempts, by input topic and error code: each retry and each dead letter.',
      labelNames: ['topic', 'code'],
      registers,
    });
    this.deadLettered = new Counter({
      name: 'conveyor_messages_dead_lettered_total',
      help: 'Messages sent to <topic>.dlq, by input topic and error code.',
      labelNames: ['topic', 'code'],
      registers,
    });
    this.deadLetterHookFailures = new Counter({
      name: 'conveyor_dead_letter_hook_failures_total',
      help: 'Dead-lettered messages whose failed result could not be written or announced (the dead letter itself is in <topic>.dlq).',
      labelNames: ['topic'],
      registers,
    });
    this.clientErrors = new Counter({
      name: 'conveyor_client_errors_total',
      help: 'Errors reported by the Kafka or Redis client (connection loss, failed sends, crashes).',
      labelNames: ['client'],
      registers,
    });
    this.stageDuration = new Histogram({
      name: 'conveyor_stage_duration_seconds',
      help: 'Time from taking a message to settling it (outputs acknowledged, or dead-lettered), retries included.',
      labelNames: ['topic', 'outcome'],
      buckets: STAGE_DURATION_BUCKETS,
      registers,
    });
    this.modelRun = new Histogram({
      name: 'conveyor_model_run_seconds',
      help: 'Time of one model session run, by model and execution provider.',
      labelNames: ['model', 'provider'],
      buckets: MODEL_RUN_BUCKETS,
      registers,
    });
    this.batchSize = new Histogram({
      name: 'conveyor_batch_size',
      help: 'Messages handed to a batch handler at once.',
      labelNames: ['topic'],
      buckets: BATCH_SIZE_BUCKETS,
      registers,
    });
    this.inFlight = new Gauge({ name: 'conveyor_in_flight', help: 'Messages being worked on now.', registers });
    this.queueDepth = new Gauge({ name: 'conveyor_queue_depth', help: 'Messages waiting for a batch to run.', registers });
    this.consumerLag = new Gauge({
      name: 'conveyor_consumer_lag',
      help: "Messages not yet consumed by this stage's group, per partition (high watermark minus position).",
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.assignedPartition = new Gauge({
      name: 'conveyor_assigned_partition',
      help: "1 per input partition this process owns in its consumer group (replaced at every rebalance).",
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.up = new Gauge({ name: 'conveyor_up', help: '1 while the stage process runs.', registers });
    this.up.set(1);
    this.stageInfo = new Gauge({
      name: 'conveyor_stage_info',
      help: 'Always 1: the stage process\' versions as labels, one series per model file (model="" for a stage without one).',
      labelNames: ['pipeline', 'version', 'config_hash', 'model', 'model_sha256'],
      registers,
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Replaces the `conveyor_stage_info` series with `info`'s (Prometheus' info-metric convention: value 1, facts as labels). */
  setStageInfo(info: StageInfo): void {
    this.stageInfo.reset();
    const base = { pipeline: info.pipeline, version: info.version, config_hash: info.configHash };
    if (info.models.length === 0) this.stageInfo.set({ ...base, model: '', model_sha256: '' }, 1);
    for (const model of info.models) this.stageInfo.set({ ...base, model: model.name, model_sha256: model.sha256 }, 1);
  }

  /** The exposition text for GET /metrics. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
