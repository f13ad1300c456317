import { CloudEventHeader, headerString, type KafkaHeaders } from '@conveyor/contracts';
import {
  STAGE_LOGGER,
  type ClassifiedError,
  type ConsumerInfo,
  type MessageOrigin,
  type MessageOutcome,
  type RuntimeStep,
  type StageLogger,
  type StageMessage,
  type StageObserver,
} from '@conveyor/stage-runtime';
import { Inject, Injectable, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { withRequestId } from './context-keys';
import { ConsumerLagPoller } from './consumer-lag';
import { extractTraceContext, injectTraceHeaders } from './propagation';
import { conveyorTracer, recordFailure, registerMessageContext, withSpan, withSpansPerMessage, type SpanWork } from './spans';
import { StageMetrics } from './stage-metrics';
import { OBSERVABILITY_STAGE } from './tokens';

const STEP_KIND: Record<RuntimeStep, SpanKind> = {
  decode: SpanKind.INTERNAL,
  produce: SpanKind.PRODUCER,
  'dead-letter': SpanKind.PRODUCER,
};

/** How often an error of the lag poller is logged (each one is counted). */
const LAG_ERROR_LOG_INTERVAL_MS = 60_000;

/**
 * Tracing and metrics of one stage, plugged into the stage runtime as its
 * observer (`runStage(module, { observer: StageTelemetry })`).
 *
 * Tracing, one trace per request across all stages: each message's work runs
 * in a `<topic> process` consume span continuing the trace from its
 * `traceparent`; the runtime's steps are child spans (`decode`, `produce`,
 * `dead-letter`), and the outputs carry the produce span as their parent, so
 * the next stage's consume span hangs under it. Stage code adds spans with
 * `modelRun`, `withSpan` and, in batch handlers, `withSpansPerMessage`.
 *
 * Metrics: Prometheus, on a registry of this stage's own (GET /metrics).
 *
 * Nothing here may fail a message: setup errors fall back to running the work
 * untraced, and notifications never throw into the runtime.
 */
@Injectable()
export class StageTelemetry implements StageObserver, OnApplicationShutdown {
  readonly metrics: StageMetrics;
  private consumer: ConsumerInfo | undefined;
  private lagPoller: ConsumerLagPoller | undefined;
  private lastLagErrorLog = Number.NEGATIVE_INFINITY;

  constructor(
    @Inject(OBSERVABILITY_STAGE) readonly stage: string,
    @Optional() @Inject(STAGE_LOGGER) private readonly logger?: StageLogger,
  ) {
    this.metrics = new StageMetrics(stage);
  }

  // ---- tracing ------------------------------------------------------------

  async aroundMessage<T>(headers: KafkaHeaders, origin: MessageOrigin, work: () => Promise<T>): Promise<T> {
    let span: Span;
    let ctx: Context;
    let unregister: () => void;
    try {
      ({ span, ctx } = this.startConsumeSpan(headers, origin));
      unregister = registerMessageContext(origin, ctx);
    } catch (error) {
      this.logger?.debug({ err: error, origin }, 'tracing setup failed; message runs untraced');
      return work();
    }
    try {
      return await context.with(ctx, work);
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      unregister();
      span.end();
    }
  }

  private startConsumeSpan(headers: KafkaHeaders, origin: MessageOrigin): { span: Span; ctx: Context } {
    const requestId = headerString(headers, CloudEventHeader.id);
    const parent = extractTraceContext(headers);
    const attributes: Attributes = {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': origin.topic,
      'messaging.kafka.destination.partition': origin.partition,
      'messaging.kafka.message.offset': Number(origin.offset),
      'conveyor.stage': this.stage,
    };
    if (this.consumer) attributes['messaging.consumer.group.name'] = this.consumer.groupId;
    if (requestId) attributes['conveyor.request_id'] = requestId;
    const span = conveyorTracer().startSpan(`${origin.topic} process`, { kind: SpanKind.CONSUMER, attributes }, parent);
    return { span, ctx: withRequestId(trace.setSpan(parent, span), requestId) };
  }

  async aroundStep<T>(step: RuntimeStep, attributes: Record<string, string | number>, work: () => Promise<T>): Promise<T> {
    const all: Attributes = { ...attributes, 'conveyor.stage': this.stage };
    if (step !== 'decode') {
      all['messaging.system'] = 'kafka';
      all['messaging.operation.type'] = 'send';
    }
    return withSpan(step, all, work, STEP_KIND[step]);
  }

  outgoingTraceHeaders(): Record<string, string> {
    return injectTraceHeaders(context.active());
  }

  /**
   * Runs one model session call in a `<model> run` span and records its time
   * in conveyor_model_run_seconds. Pass the messages the run serves when they
   * are a subset of the batch (lines of some requests), so only their traces
   * get the span; without them the span goes to the current request, or to
   * every request of the enclosing `withSpansPerMessage`.
   */
  async modelRun<T>(model: string, provider: string, fn: SpanWork<T>, messages?: readonly StageMessage[]): Promise<T> {
    const attributes: Attributes = { 'conveyor.model': model, 'conveyor.execution_provider': provider, 'conveyor.stage': this.stage };
    const started = performance.now();
    try {
      return messages ? await withSpansPerMessage(messages, `${model} run`, attributes, fn) : await withSpan(`${model} run`, attributes, fn);
    } finally {
      this.observeModelRun(model, provider, (performance.now() - started) / 1000);
    }
  }

  observeModelRun(model: string, provider: string, seconds: number): void {
    this.metrics.modelRun.observe({ model, provider }, seconds);
  }

  /** See the function `withSpansPerMessage`: one span per request of a batch. */
  withSpansPerMessage<T>(messages: readonly StageMessage[], name: string, attributes: Attributes, fn: SpanWork<T>): Promise<T> {
    return withSpansPerMessage(messages, name, { ...attributes, 'conveyor.stage': this.stage }, fn);
  }

  // ---- notifications (metrics) ---------------------------------------------

  consuming(info: ConsumerInfo): void {
    this.consumer = info;
    void this.lagPoller?.stop();
    this.lagPoller = new ConsumerLagPoller(info, {
      lag: (topic, partition, lag) => this.partitionLag(topic, partition, lag),
      error: (error) => this.lagError(error),
    });
    this.lagPoller.start();
  }

  stopped(): void {
    void this.stopLagPoller();
  }

  messageReceived(origin: MessageOrigin): void {
    this.metrics.consumed.inc({ topic: origin.topic });
  }

  messageSettled(origin: MessageOrigin, outcome: MessageOutcome, durationMs: number, _outputs?: number): void {
    this.metrics.stageDuration.observe({ topic: origin.topic, outcome }, durationMs / 1000);
  }

  messageRetried(origin: MessageOrigin, error: ClassifiedError, attempt: number): void {
    this.metrics.failed.inc({ topic: origin.topic, code: error.code });
    trace.getActiveSpan()?.addEvent('retry', { 'conveyor.attempt': attempt, 'conveyor.error_code': error.code });
  }

  messageDeadLettered(origin: MessageOrigin, error: ClassifiedError): void {
    this.metrics.failed.inc({ topic: origin.topic, code: error.code });
    this.metrics.deadLettered.inc({ topic: origin.topic, code: error.code });
    // The consume span of a request that ends in the DLQ shows as failed, with why.
    const span = trace.getActiveSpan();
    span?.setAttribute('conveyor.error_code', error.code);
    span?.setStatus({ code: SpanStatusCode.ERROR, message: `${error.code}: ${error.message}` });
  }

  /** The dead letter is in the DLQ, but its failed result was not written: the request's producer may never hear back. */
  deadLetterHookFailed(origin: MessageOrigin, _error?: unknown): void {
    this.metrics.deadLetterHookFailures.inc({ topic: origin.topic });
  }

  outputsProduced(topic: string, count: number): void {
    this.metrics.produced.inc({ topic }, count);
  }

  batchRun(topic: string, size: number, _durationMs?: number): void {
    this.metrics.batchSize.observe({ topic }, size);
  }

  inFlightChanged(inFlight: number, queued: number): void {
    this.metrics.inFlight.set(inFlight);
    this.metrics.queueDepth.set(queued);
  }

  partitionLag(topic: string, partition: number, lag: number): void {
    this.metrics.consumerLag.set({ topic, partition: String(partition) }, lag);
  }

  /** The partitions this process owns now (conveyor_assigned_partition), replacing the previous generation's. */
  partitionsAssigned(assignment: Readonly<Record<string, readonly number[]>>): void {
    this.metrics.assignedPartition.reset();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) this.metrics.assignedPartition.set({ topic, partition: String(partition) }, 1);
    }
  }

  clientError(client: 'kafka' | 'redis'): void {
    this.metrics.clientErrors.inc({ client });
  }

  /** The Prometheus exposition of this stage's registry. */
  metricsText(): Promise<string> {
    return this.metrics.text();
  }

  /** One lag round now (tests, or a scrape that wants fresh numbers). */
  refreshConsumerLag(): Promise<void> {
    return this.lagPoller?.refresh() ?? Promise.resolve();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stopLagPoller();
  }

  private async stopLagPoller(): Promise<void> {
    const poller = this.lagPoller;
    this.lagPoller = undefined;
    await poller?.stop();
  }

  private lagError(error: unknown): void {
    this.clientError('kafka');
    const now = Date.now();
    if (now - this.lastLagErrorLog < LAG_ERROR_LOG_INTERVAL_MS) return;
    this.lastLagErrorLog = now;
    this.logger?.warn({ err: error }, 'consumer lag refresh failed (counted in conveyor_client_errors_total)');
  }
}
