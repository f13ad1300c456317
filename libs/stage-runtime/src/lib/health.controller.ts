import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ReadinessRegistry, type LivenessReport, type ReadinessReport } from './readiness';

/** Liveness and readiness probes for compose and Kubernetes. */
@Controller('health')
export class HealthController {
  constructor(private readonly readiness: ReadinessRegistry) {}

  /**
   * The process is up, its event loop answers, and nothing it needs is broken
   * for good (a Kafka consumer that crashed without restarting): 503 then, so
   * the orchestrator restarts the pod instead of keeping a live but dead one.
   */
  @Get('live')
  async live(): Promise<{ status: 'ok' } & LivenessReport> {
    const report = await this.readiness.liveness();
    if (!report.live) throw new ServiceUnavailableException({ status: 'failing', ...report });
    return { status: 'ok', ...report };
  }

  /** 200 once Kafka, Redis and the stage's own checks (model loaded…) pass; 503 otherwise and while draining. */
  @Get('ready')
  async ready(): Promise<ReadinessReport> {
    const report = await this.readiness.report();
    if (!report.ready) throw new ServiceUnavailableException(report);
    return report;
  }
}
