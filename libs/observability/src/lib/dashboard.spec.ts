import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StageMetrics } from './stage-metrics';

/** Histograms are queried through their _bucket/_sum/_count series. */
const SERIES_SUFFIXES = ['', '_bucket', '_sum', '_count'];

it('the Grafana dashboard and the Prometheus files query only metrics the stages export', async () => {
  const metrics = new StageMetrics('preprocess');
  const exported = new Set(
    (await metrics.registry.getMetricsAsJSON()).flatMap((m) => SERIES_SUFFIXES.map((suffix) => `${m.name}${suffix}`)),
  );
  const root = join(__dirname, '..', '..', '..', '..');
  const dashboard = readFileSync(join(root, 'docker', 'grafana', 'dashboards', 'conveyor-stages.json'), 'utf8');
  const queried = new Set(dashboard.match(/conveyor_[a-z_]+/g) ?? []);
  expect(queried.size).toBeGreaterThan(5);
  expect([...queried].filter((name) => !exported.has(name))).toEqual([]);
  metrics.registry.clear();
});
