/** The stage name given to `ObservabilityModule.forStage(stage)`. */
export const OBSERVABILITY_STAGE = Symbol('OBSERVABILITY_STAGE');
