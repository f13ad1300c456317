import { randomBytes } from 'node:crypto';

/** Differs between runs and between processes of one run (Jest workers). */
const RUN_ID = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}-${process.pid.toString(36)}`;
let counter = 0;

/**
 * A name nobody else uses, for topics, consumer groups and Redis keys: tests share one
 * broker and one Redis, so fixed names would make them see each other's data.
 * Only characters legal in Kafka topic names ([a-zA-Z0-9._-]) appear, and the result
 * stays under Kafka's 249-character limit.
 */
export function uniqueName(prefix = 'test'): string {
  const safePrefix = prefix.replace(/[^a-zA-Z0-9._-]/g, '-').slice(0, 180) || 'test';
  counter += 1;
  return `${safePrefix}-${RUN_ID}-${counter}`;
}
