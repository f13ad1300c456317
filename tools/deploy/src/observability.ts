import { GENERATED_MARKER, PLATFORM, stageRecords, type DeployContext } from './model';
import { generatedHeader } from './text';
import { commented, flow, yamlFile } from './yaml';

/** docker/prometheus.yml: every stage's /metrics (target label `service`) and the collector. */
export function renderPrometheus(ctx: DeployContext): string {
  const header = generatedHeader(
    'tools/deploy/src/observability.ts',
    [
      `Prometheus for compose.yaml. Each stage serves GET /metrics on its HTTP_PORT (${PLATFORM.httpPort}).`,
      'Targets get a `service` label (<pipeline>-<stage>, the compose service), not `stage`: the',
      "stages' series already carry `stage` (the stage's name, the same in every pipeline that",
      'has it), and a clashing target label would rename theirs to `exported_stage`.',
    ].join('\n'),
  );
  return yamlFile(header, [
    {
      global: { scrape_interval: '5s', evaluation_interval: '15s' },
      scrape_configs: [
        {
          job_name: 'conveyor',
          metrics_path: '/metrics',
          static_configs: stageRecords(ctx).map((s) => ({
            targets: flow([`${s.service}:${PLATFORM.httpPort}`], true),
            labels: { service: s.service },
          })),
        },
        commented('Metrics the stages push over OTLP, re-exposed by the collector.', {
          job_name: 'otel-collector-otlp',
          honor_labels: true,
          static_configs: [{ targets: flow(['otel-collector:8889'], true) }],
        }),
        commented("The collector's own health (dropped spans, queue sizes).", {
          job_name: 'otel-collector',
          static_configs: [{ targets: flow(['otel-collector:8888'], true) }],
        }),
        { job_name: 'prometheus', static_configs: [{ targets: flow(['localhost:9090'], true) }] },
      ],
    },
  ]);
}

/** Where the template leaves room for the generated variables. */
export const TEMPLATING_PLACEHOLDER = 'generated: the pipeline and stage variables (tools/deploy/src/observability.ts)';

const ALL = { selected: true, text: ['All'], value: ['$__all'] };

function customVariable(name: string, label: string, description: string, options: { text: string; value: string }[]) {
  return {
    name,
    label,
    description,
    type: 'custom',
    // Grafana's `text : value` pairs; `options` is what it shows before it parses the query itself.
    query: options.map((o) => (o.text === o.value ? o.value : `${o.text} : ${o.value}`)).join(','),
    options: options.map((o) => ({ selected: false, text: o.text, value: o.value })),
    multi: true,
    includeAll: true,
    allValue: '.+',
    current: ALL,
  };
}

/**
 * docker/grafana/dashboards/conveyor-stages.json: the hand-written template
 * (docker/grafana/conveyor-stages.template.json, panels and settings) with the
 * variables derived from the definitions: `pipeline` (its name) and `stage`
 * (the `service` label, <pipeline>-<stage>, shown as pipeline/stage).
 */
export function renderDashboard(ctx: DeployContext): string {
  const template = JSON.parse(ctx.dashboardTemplate) as Record<string, unknown>;
  if (template['templating'] !== TEMPLATING_PLACEHOLDER) {
    throw new Error(
      `the dashboard template's "templating" must be "${TEMPLATING_PLACEHOLDER}" (the generator fills it in)`,
    );
  }
  const stages = stageRecords(ctx);
  const templating = {
    list: [
      customVariable(
        'pipeline',
        'Pipeline',
        'Pipelines from pipelines/*/pipeline.ts; panels show the stages whose service (<pipeline>-<stage>) belongs to one.',
        ctx.pipelines.map((p) => ({ text: p.name, value: p.name })),
      ),
      customVariable(
        'stage',
        'Stage',
        'Stages of every pipeline: the `service` target label (<pipeline>-<stage>), as docker/prometheus.yml sets it.',
        stages.map((s) => ({ text: `${s.pipeline.name}/${s.stage.name}`, value: s.service })),
      ),
    ],
  };
  const dashboard: Record<string, unknown> = {
    '//': `${GENERATED_MARKER} (and docker/grafana/conveyor-stages.template.json)`,
  };
  for (const [key, value] of Object.entries(template)) {
    if (key === '//') continue;
    dashboard[key] = key === 'templating' ? templating : value;
  }
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
