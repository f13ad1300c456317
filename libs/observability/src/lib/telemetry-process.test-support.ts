/**
 * A stage-like process for telemetry-process.spec.ts: starts telemetry from
 * its environment, opens a few spans under a given traceparent, shuts down,
 * and reports on stdout (JSON lines). It runs as a real Node process because
 * the OTLP exporter loads `http` with a dynamic import, which Jest's module
 * sandbox refuses: in Jest nothing would ever reach the network.
 */
import { context } from '@opentelemetry/api';
import { extractTraceContext } from './propagation';
import { withSpan } from './spans';
import { startTelemetry } from './telemetry';

function report(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const env = process.env;
  const handle = startTelemetry({
    serviceName: 'fixture',
    logger: {
      info: (fields, msg) => report({ level: 'info', msg, ...fields }),
      warn: (fields, msg) => report({ level: 'warn', msg, ...fields }),
    },
    shutdownTimeoutMs: Number(env['FIXTURE_SHUTDOWN_MS'] ?? 2_000),
  });
  const parent = extractTraceContext({ traceparent: env['FIXTURE_TRACEPARENT'] });
  const spans = Number(env['FIXTURE_SPANS'] ?? 1);
  for (let i = 0; i < spans; i += 1) {
    await context.with(parent, () => withSpan('fixture work', { 'conveyor.fixture.index': i }, () => new Promise((r) => setTimeout(r, 1))));
  }
  // Give the batch processor time to send (and, with no collector, to fail) a few times.
  await new Promise((resolve) => setTimeout(resolve, Number(env['FIXTURE_LINGER_MS'] ?? 0)));
  const started = performance.now();
  await handle.shutdown();
  report({ level: 'result', exporting: handle.exporting, shutdownMs: performance.now() - started });
  // Like a stage's main.ts: exit once telemetry is shut down, whatever the SDK still has scheduled.
  process.exit(0);
}

main().catch((error: unknown) => {
  report({ level: 'crash', error: error instanceof Error ? error.stack : String(error) });
  process.exit(1);
});
