/**
 * Polls `predicate` until it holds; fails naming `what` (and `context()`, e.g.
 * recent log lines) after `timeoutMs`. A timeout here is a bound on waiting,
 * never a performance assertion.
 */
export async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 60_000, context: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) {
      const extra = context();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${extra ? `\n${extra}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
