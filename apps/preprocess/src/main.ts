import { preprocessStage } from '@conveyor/ocr-pipeline';
import { runStageApp } from '@conveyor/stage-host';

void runStageApp(preprocessStage);
