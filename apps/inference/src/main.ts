import 'reflect-metadata';
import { runOcrStage } from '@conveyor/ocr-pipeline';

// The inference stage service: one process, one consumer group, its own health and metrics port.
void runOcrStage('inference');
