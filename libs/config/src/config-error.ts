export interface ConfigProblem {
  /** The environment variable at fault (or "(config)" for a problem spanning several). */
  variable: string;
  message: string;
}

/**
 * Every configuration problem at once, one line each, so a misconfigured
 * deployment is fixed in one round rather than one crash per variable.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `invalid configuration (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}):\n` +
        problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n'),
    );
  }
}
