import { Controller, Get } from '@nestjs/common';
import { StageIdentity, type StageVersionReport } from './stage-identity';

/** GET /version: the stage's version identity (full model SHA-256), beside /health and /metrics; `conveyor status` reads it. */
@Controller()
export class VersionController {
  constructor(private readonly identity: StageIdentity) {}

  @Get('version')
  version(): StageVersionReport {
    return this.identity.report();
  }
}
