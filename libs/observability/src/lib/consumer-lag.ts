import type { ConsumerInfo } from '@conveyor/stage-runtime';
import { Kafka, logLevel, type Admin } from 'kafkajs';

/**
 * Lag of one partition: messages after the group's committed offset, or all
 * retained messages when the group has committed nothing yet (`-1`; stages
 * consume from the beginning).
 */
export function lagOf(committed: string, high: string, low: string): number {
  const end = BigInt(high);
  const start = committed === '-1' || committed === '' ? BigInt(low) : BigInt(committed);
  const lag = end - start;
  return lag > 0n ? Number(lag) : 0;
}

export interface LagSink {
  lag(topic: string, partition: number, lag: number): void;
  error(error: unknown): void;
}

/**
 * Refreshes consumer lag from the broker every interval: the group's
 * committed offsets (OffsetFetch) against each partition's high watermark
 * (ListOffsets). The lag seen at fetch time stops moving when a stage stops
 * fetching (paused for backpressure, or stuck): this one keeps telling the
 * truth, which is what an autoscaler on lag needs. Errors are reported to the
 * sink and never thrown; the next round reconnects.
 */
export class ConsumerLagPoller {
  private timer: NodeJS.Timeout | undefined;
  private admin: Admin | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly info: ConsumerInfo,
    private readonly sink: LagSink,
    private readonly intervalMs = 10_000,
  ) {}

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.timer.unref();
    void this.refresh();
  }

  /** One round now (or the one already running). Resolves when it is done; never rejects. */
  refresh(): Promise<void> {
    this.running ??= this.poll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.disconnect();
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    try {
      const admin = await this.connectedAdmin();
      const committed = await admin.fetchOffsets({ groupId: this.info.groupId, topics: this.info.topics });
      for (const { topic, partitions } of committed) {
        const ends = await admin.fetchTopicOffsets(topic);
        for (const end of ends) {
          const position = partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
          this.sink.lag(topic, end.partition, lagOf(position, end.high, end.low));
        }
      }
    } catch (error) {
      this.sink.error(error);
      await this.disconnect();
    }
  }

  private async connectedAdmin(): Promise<Admin> {
    if (this.admin) return this.admin;
    const admin = new Kafka({
      clientId: `${this.info.clientId}-lag`,
      brokers: this.info.brokers,
      logLevel: logLevel.NOTHING,
      // Fail a round fast and try again next interval rather than pile up retries.
      retry: { retries: 1, initialRetryTime: 200 },
      connectionTimeout: 3_000,
      requestTimeout: 5_000,
    }).admin();
    try {
      await admin.connect();
    } catch (error) {
      await admin.disconnect().catch(() => undefined);
      throw error;
    }
    this.admin = admin;
    return admin;
  }

  private async disconnect(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }
}
