import { inferenceStage } from '@conveyor/ocr-pipeline';
import { runStageApp } from '@conveyor/stage-host';

void runStageApp(inferenceStage);
