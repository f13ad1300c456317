import { serviceName, type PipelineDefinition, type StageDefinition } from '@conveyor/pipeline';

/** One stage process of the local platform. */
export interface PlannedProcess {
  pipeline: PipelineDefinition;
  stage: StageDefinition;
  /** `<pipeline>-<stage>`, and `-2`, `-3`… for further replicas. */
  name: string;
  replica: number;
  /** Its health and metrics port (0 = pick a free one at start). */
  httpPort: number;
}

/**
 * The processes `conveyor up` starts: `replicas` per stage, in pipeline order.
 * Ports count up from `basePort` over every stage of `all` pipelines (replica
 * 1 of each first, then the extra replicas), so a stage keeps its port
 * whichever pipelines are selected and `conveyor status` finds it again.
 */
export function planProcesses(all: readonly PipelineDefinition[], selected: readonly string[], basePort: number): PlannedProcess[] {
  const stages = all.flatMap((pipeline) => pipeline.stages.map((stage) => ({ pipeline, stage })));
  let extraPort = basePort + stages.length;
  const plan: PlannedProcess[] = [];
  stages.forEach(({ pipeline, stage }, i) => {
    for (let replica = 1; replica <= stage.replicas; replica++) {
      const port = basePort === 0 ? 0 : replica === 1 ? basePort + i : extraPort++;
      if (!selected.includes(pipeline.name)) continue;
      const service = serviceName(pipeline, stage);
      plan.push({ pipeline, stage, name: replica === 1 ? service : `${service}-${replica}`, replica, httpPort: port });
    }
  });
  return plan;
}
