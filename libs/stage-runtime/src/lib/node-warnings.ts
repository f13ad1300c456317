let installed = false;

/**
 * kafkajs 2.2.4's request queue schedules `setTimeout` with a negative delay
 * (kafkajs/src/network/requestQueue/index.js, scheduleCheckPendingRequests);
 * Node ≥ 24 warns "TimeoutNegativeWarning" on every such call and clamps the
 * delay to 1 ms, exactly what older Node did silently. The warning says nothing
 * an operator can act on, so it is dropped; every other warning passes.
 */
export function silenceKafkajsNegativeTimeoutWarning(): void {
  if (installed) return;
  installed = true;
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (type === 'TimeoutNegativeWarning' || (warning instanceof Error && warning.name === 'TimeoutNegativeWarning')) return;
    emitWarning(warning, ...rest);
  }) as typeof process.emitWarning;
}
