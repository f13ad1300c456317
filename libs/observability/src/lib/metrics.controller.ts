import { Controller, Get, Header } from '@nestjs/common';
import { prometheusContentType } from 'prom-client';
import { StageTelemetry } from './stage-telemetry';

/** GET /metrics: the stage's Prometheus metrics, beside /health on the stage's HTTP port. */
@Controller()
export class MetricsController {
  constructor(private readonly telemetry: StageTelemetry) {}

  // The registry's content type: prom-client's default text format, which StageMetrics never changes.
  @Get('metrics')
  @Header('Content-Type', prometheusContentType)
  metrics(): Promise<string> {
    return this.telemetry.metricsText();
  }
}
