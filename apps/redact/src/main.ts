import { redactStage } from '@conveyor/redaction';
import { runStageApp } from '@conveyor/stage-host';

void runStageApp(redactStage);
