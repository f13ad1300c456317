import { spawn } from 'node:child_process';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import * as path from 'node:path';

jest.setTimeout(60_000);

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const UPSTREAM_SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${UPSTREAM_SPAN_ID}-01`;
const WORKSPACE = path.resolve(__dirname, '../../../..');
const FIXTURE = path.join(__dirname, 'telemetry-process.test-support.ts');

interface Line {
  level: string;
  msg?: string;
  [field: string]: unknown;
}

/** Runs the fixture in its own Node process (TypeScript compiled by @swc-node/register) and collects its report. */
function runFixture(env: Record<string, string>): Promise<{ code: number | null; lines: Line[]; stderr: string }> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  const child = spawn(process.execPath, ['-r', '@swc-node/register', FIXTURE], {
    cwd: WORKSPACE,
    env: { ...inherited, SWC_NODE_PROJECT: path.join(WORKSPACE, 'tsconfig.base.json'), FIXTURE_TRACEPARENT: TRACEPARENT, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line);
      resolve({ code, lines, stderr });
    });
  });
}

interface Received {
  method?: string;
  url?: string;
  contentType?: string;
  body: Buffer;
}

/** A stand-in OTLP/HTTP receiver that records what it is sent and answers 200. */
async function receiver(): Promise<{ url: string; requests: Received[]; close: () => Promise<void> }> {
  const requests: Received[] = [];
  const server = createHttpServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, contentType: req.headers['content-type'], body: Buffer.concat(chunks) });
      const json = req.headers['content-type'] === 'application/json';
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const result = (lines: Line[]) => lines.find((l) => l.level === 'result');

describe('telemetry in a real process', () => {
  it('exports OTLP http/json: the span continues the upstream trace, service.name from OTEL_SERVICE_NAME', async () => {
    const collector = await receiver();
    try {
      const run = await runFixture({
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'features-canary',
      });
      expect(run).toMatchObject({ code: 0 });
      expect(result(run.lines)).toMatchObject({ exporting: true });
      expect(collector.requests.map((r) => [r.method, r.url, r.contentType])).toEqual([['POST', '/v1/traces', 'application/json']]);
      const body = JSON.parse(collector.requests[0].body.toString()) as {
        resourceSpans: Array<{
          resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
          scopeSpans: Array<{ spans: Array<{ name: string; traceId: string; parentSpanId: string }> }>;
        }>;
      };
      const [resourceSpans] = body.resourceSpans;
      const attribute = (key: string) => resourceSpans.resource.attributes.find((a) => a.key === key)?.value.stringValue;
      expect(attribute('service.name')).toBe('features-canary');
      expect(attribute('service.namespace')).toBe('conveyor');
      const [span] = resourceSpans.scopeSpans[0].spans;
      expect(span).toMatchObject({ name: 'fixture work', traceId: TRACE_ID, parentSpanId: UPSTREAM_SPAN_ID });
    } finally {
      await collector.close();
    }
  });

  it('exports OTLP http/protobuf by default', async () => {
    const collector = await receiver();
    try {
      const run = await runFixture({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/v1/traces` });
      expect(run).toMatchObject({ code: 0 });
      expect(collector.requests.map((r) => [r.method, r.url, r.contentType])).toEqual([['POST', '/v1/traces', 'application/x-protobuf']]);
      // The trace id travels as 16 raw bytes in the protobuf encoding.
      expect(collector.requests[0].body.includes(Buffer.from(TRACE_ID, 'hex'))).toBe(true);
    } finally {
      await collector.close();
    }
  });

  it('with the collector down: no crash, and many failed exports make one warning', async () => {
    const run = await runFixture({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await closedPort()}`,
      OTEL_BSP_SCHEDULE_DELAY: '20',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2',
      // Each export gives up after one refused attempt (its retry would come after the timeout).
      OTEL_EXPORTER_OTLP_TIMEOUT: '300',
      FIXTURE_SPANS: '20',
      FIXTURE_LINGER_MS: '1000',
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(result(run.lines)).toMatchObject({ exporting: true });
    const warnings = run.lines.filter((l) => l.level === 'warn');
    expect(warnings).toEqual([
      { level: 'warn', msg: expect.stringMatching(/^opentelemetry: connect ECONNREFUSED/), otel: { level: 'error', code: 'ECONNREFUSED', suppressedSinceLast: 0 } },
    ]);
  });

  it('with the collector down and spans still queued: shutdown gives up at its bound', async () => {
    const run = await runFixture({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await closedPort()}`,
      // Nothing goes out before shutdown; the final flush then retries for the default 10 s.
      OTEL_BSP_SCHEDULE_DELAY: '60000',
      FIXTURE_SPANS: '5',
      FIXTURE_SHUTDOWN_MS: '1000',
    });
    expect(run.code).toBe(0);
    expect(run.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toContain('telemetry: shutdown timed out, unsent spans dropped');
    const shutdownMs = result(run.lines)?.['shutdownMs'] as number;
    expect(shutdownMs).toBeGreaterThanOrEqual(990);
    // Only a hang detector, not a timing claim: without the bound this takes 10 s.
    expect(shutdownMs).toBeLessThan(3_000);
  });
});
