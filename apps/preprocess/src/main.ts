import 'reflect-metadata';
import { runOcrStage } from '@conveyor/ocr-pipeline';

// The preprocess stage service: one process, one consumer group, its own health and metrics port.
void runOcrStage('preprocess');
