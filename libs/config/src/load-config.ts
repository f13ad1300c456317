import { z } from 'zod';
import { ConfigError, type ConfigProblem } from './config-error';

/**
 * Variables set to the empty (or blank) string count as unset: compose
 * files and ConfigMaps write `FOO=` for "no value", and a default is what
 * that means, not a parse error.
 */
function withoutBlanks(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') out[key] = value;
  }
  return out;
}

function toProblem(issue: z.core.$ZodIssue): ConfigProblem {
  const [variable, ...rest] = issue.path.map(String);
  return {
    variable: variable ?? '(config)',
    message: rest.length > 0 ? `${rest.join('.')}: ${issue.message}` : issue.message,
  };
}

/**
 * Parses `env` with `schema` (usually `commonConfigSchema.extend({...})`)
 * and returns the typed config, or throws a ConfigError listing every
 * invalid or missing variable — one line each, naming it and saying what is
 * wrong, e.g. `KAFKA_BROKERS: must be a comma-separated list of host:port (got "kafka")`.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(withoutBlanks(env));
  if (!result.success) throw new ConfigError(result.error.issues.map(toProblem));
  return result.data;
}
