import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ReadinessRegistry, type ReadinessReport } from './readiness';

/** Liveness and readiness probes for compose and Kubernetes. */
@Controller('health')
export class HealthController {
  constructor(private readonly readiness: ReadinessRegistry) {}

  /** The process is up and its event loop answers. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 once Kafka, Redis and the stage's own checks (model loaded…) pass; 503 otherwise and while draining. */
  @Get('ready')
  async ready(): Promise<ReadinessReport> {
    const report = await this.readiness.report();
    if (!report.ready) throw new ServiceUnavailableException(report);
    return report;
  }
}
