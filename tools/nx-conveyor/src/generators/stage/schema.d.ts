/** Options of `nx g @conveyor/nx-conveyor:stage` (schema.json). */
export interface StageGeneratorSchema {
  /** Stage, app, output topic and Nx project name (lower-case DNS label). */
  name: string;
  /** The pipeline it joins: `pipelines/<pipeline>/pipeline.ts`. */
  pipeline: string;
  /** The stage it follows (default: the second to last). */
  after?: string;
  /** The stage's description in the pipeline definition. */
  description?: string;
}
