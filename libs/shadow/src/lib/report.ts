import {
  compareResults,
  formatComparisonRows,
  formatComparisonSummary,
  mostDifferent,
  parseStoredResult,
  summarise,
  type ComparisonRow,
  type ComparisonSummary,
} from '@conveyor/replay';
import type Redis from 'ioredis';
import { requestIdOfShadowKey, shadowRedisPatterns, type ShadowPlan } from './plan';

/**
 * `conveyor shadow report`: every shadow result in Redis compared with the
 * live result of the same request id, with replay's comparison (CER of the
 * shadow's text against the live text, line count, confidence and time deltas,
 * version differences). In the rows and summary, `replay…` fields are the
 * shadow's side.
 */
export interface ShadowReport {
  name: string;
  pipeline: string;
  stage: string;
  stages: string[];
  set: Record<string, Record<string, string>>;
  topicPrefix: string;
  resultKeyPrefix: string;
  summary: ComparisonSummary;
  mostDifferent: ComparisonRow[];
  rows: ComparisonRow[];
}

/** Every key matching `pattern` (SCAN, never KEYS). */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    for (const key of batch) keys.add(key);
    cursor = next;
  } while (cursor !== '0');
  return [...keys];
}

async function mget(redis: Redis, keys: readonly string[]): Promise<Array<string | null>> {
  const values: Array<string | null> = [];
  for (let i = 0; i < keys.length; i += 500) values.push(...(await redis.mget(...keys.slice(i, i + 500))));
  return values;
}

/** One comparison per shadow result; a live result that is not there (yet, or any more) is `missing-live`. */
export async function collectShadowReport(redis: Redis, plan: ShadowPlan, top = 10): Promise<ShadowReport> {
  const ids = (await scanKeys(redis, shadowRedisPatterns(plan)[0]))
    .map((key) => requestIdOfShadowKey(plan, key))
    .filter((id): id is string => id !== undefined)
    .sort();
  const shadow = await mget(redis, ids.map((id) => plan.resultKeyPrefix + id));
  const live = await mget(redis, ids.map((id) => plan.liveResultKeyPrefix + id));
  const rows = ids.map((id, i) => compareResults(id, id, parseStoredResult(live[i]), parseStoredResult(shadow[i])));
  return {
    name: plan.name,
    pipeline: plan.pipeline,
    stage: plan.stage,
    stages: plan.stages,
    set: plan.set,
    topicPrefix: plan.topicPrefix,
    resultKeyPrefix: plan.resultKeyPrefix,
    summary: summarise(rows),
    mostDifferent: mostDifferent(rows, top),
    rows,
  };
}

export function formatShadowReport(report: ShadowReport): string {
  const set = Object.entries(report.set).flatMap(([stage, vars]) => Object.entries(vars).map(([k, v]) => `${stage}.${k}=${v}`));
  const lines = [
    `shadow ${report.name} of ${report.pipeline}/${report.stage} (stages ${report.stages.join(', ')}; topics ${report.topicPrefix}${report.pipeline}.*)` +
      `${set.length ? ` with ${set.join(' ')}` : ' with the settings of the definition'}`,
    ...formatComparisonSummary(report.summary, 'shadow'),
  ];
  if (report.mostDifferent.length > 0) {
    lines.push(`most different (${report.mostDifferent.length}):`);
    lines.push(formatComparisonRows(report.mostDifferent, 'shadow'));
  }
  return `${lines.join('\n')}\n`;
}
