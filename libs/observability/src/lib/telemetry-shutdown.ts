import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { currentTelemetry } from './telemetry';

/**
 * Exports the last spans when the stage app closes. `runStage` drains the
 * transport, closes the app and then exits the process, so the app's own
 * shutdown is the one place left to flush: main.ts only starts telemetry.
 * (Bounded: see TelemetryHandle.shutdown. In a process running several apps,
 * the first to close ends tracing for all: one stage per process is the rule.)
 */
@Injectable()
export class TelemetryShutdown implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await currentTelemetry()?.shutdown();
  }
}
