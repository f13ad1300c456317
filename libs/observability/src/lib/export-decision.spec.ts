import { traceExportDecision } from './export-decision';

describe('traceExportDecision', () => {
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' };

  it.each([
    ['nothing configured', {}, false, /no OTEL_EXPORTER_OTLP_ENDPOINT/],
    ['a blank endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }, false, /no OTEL_EXPORTER_OTLP_ENDPOINT/],
    ['the generic endpoint', endpoint, true, undefined],
    ['the traces endpoint', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://c:4318/v1/traces' }, true, undefined],
    ['an endpoint but OTEL_SDK_DISABLED=true', { ...endpoint, OTEL_SDK_DISABLED: 'TRUE' }, false, /OTEL_SDK_DISABLED/],
    ['an endpoint and OTEL_SDK_DISABLED=false', { ...endpoint, OTEL_SDK_DISABLED: 'false' }, true, undefined],
    ['an endpoint but OTEL_TRACES_EXPORTER=none', { ...endpoint, OTEL_TRACES_EXPORTER: 'none' }, false, /none/],
    ['the console exporter without endpoint', { OTEL_TRACES_EXPORTER: 'console' }, true, undefined],
    ['otlp and console without endpoint', { OTEL_TRACES_EXPORTER: 'otlp,console' }, true, undefined],
  ])('%s → exporting %s', (_case, env, exporting, reason) => {
    const decision = traceExportDecision(env);
    expect(decision.exporting).toBe(exporting);
    if (reason) expect(decision.reason).toMatch(reason);
    else expect(decision.reason).toBeUndefined();
  });

  it.each([
    [{}, 'http/protobuf'],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, 'http/json'],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }, 'http/protobuf'],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'grpc'],
  ])('protocol from %j is %s', (env, protocol) => {
    expect(traceExportDecision(env).protocol).toBe(protocol);
  });

  it('prefers the traces endpoint over the generic one', () => {
    expect(traceExportDecision({ ...endpoint, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:4318/v1/traces' }).endpoint).toBe(
      'http://t:4318/v1/traces',
    );
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'http' }, /OTEL_EXPORTER_OTLP_PROTOCOL: "http" is not one of/],
    [{ OTEL_TRACES_EXPORTER: 'jaeger' }, /OTEL_TRACES_EXPORTER: unknown exporter "jaeger"/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'otel-collector:4318' }, /OTEL_EXPORTER_OTLP_ENDPOINT: "otel-collector:4318" must be an http/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, /OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" is not a URL/],
  ])('rejects %j naming the variable', (env, message) => {
    expect(() => traceExportDecision(env)).toThrow(message);
  });
});
