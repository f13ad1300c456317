/*
 * Run as a child process by poison-quarantine.int.spec.ts: the counter stage
 * as a stage service's main.ts runs it (runStageApp), its pipeline's results
 * under COUNTER_RESULT_PREFIX.
 */
import { runStageApp } from '../lib/run-stage-app';
import { counterPipeline, counterStage } from './counter-stage.test-support';

void runStageApp(counterStage, process.env, [counterPipeline(process.env['COUNTER_RESULT_PREFIX'] ?? 'conveyor:wordcount:result:')]);
