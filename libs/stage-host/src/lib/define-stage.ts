import type { DynamicModule, ForwardReference, Provider, Type } from '@nestjs/common';
import type { z } from 'zod';

/** A Nest module import (class, dynamic module or forward reference). */
export type ModuleImport = Type<unknown> | DynamicModule | Promise<DynamicModule> | ForwardReference;

/**
 * What a stage app hands the stage host: its handler and what the handler
 * needs. Everything else — configuration of the runtime, topics and group from
 * the pipeline definition, telemetry, health, metrics, failed results for
 * dead letters, graceful shutdown — is the host's.
 */
export interface StageApp<Shape extends z.ZodRawShape = z.ZodRawShape> {
  /** The app's name (its Nx project and image): finds its stage in the pipeline definitions. */
  app: string;
  /** The handler: a Nest controller with one `@StageHandler()` method. */
  handler: Type<unknown>;
  /**
   * The stage's own environment variables (zod fields, as in libs/config),
   * validated together with the runtime's; the parsed values are injected
   * with `@Inject(STAGE_CONFIG)`.
   */
  config?: Shape;
  /**
   * Variables of `config` left out of the stage's configuration hash because
   * they say where something is, not how the stage works (a model directory:
   * the models' own hashes are reported). Secrets, addresses and ports are
   * always left out (docs/architecture.md, "Versions").
   */
  unhashedConfig?: readonly string[];
  /** Modules the handler needs. */
  imports?: ModuleImport[];
  /** Providers the handler needs; a factory may inject STAGE_CONFIG and PIPELINE_STAGE. */
  providers?: Provider[];
}

/** Declares a stage app (typed: `config`'s output is what STAGE_CONFIG holds). */
export function defineStage<Shape extends z.ZodRawShape>(stage: StageApp<Shape>): StageApp<Shape> {
  return stage;
}

/** The type of a stage's parsed configuration: `StageConfigOf<typeof myStage>`. */
export type StageConfigOf<S> = S extends StageApp<infer Shape> ? z.infer<z.ZodObject<Shape>> : never;
