import { featuresStage } from '@conveyor/ocr-pipeline';
import { runStageApp } from '@conveyor/stage-host';

void runStageApp(featuresStage);
