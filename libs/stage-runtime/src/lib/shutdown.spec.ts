import type { StageLogger } from './logger';
import { exitAfterStop } from './shutdown';

function recordingLogger(): StageLogger & { lines: string[] } {
  const lines: string[] = [];
  const log = (_fields: object, message?: string): void => void lines.push(message ?? '');
  return { lines, info: log, warn: log, error: log, debug: log } as unknown as StageLogger & { lines: string[] };
}

function exitRecorder(): { exit: (code: number) => void; exited: Promise<number>; codes: number[] } {
  const codes: number[] = [];
  let resolve: (code: number) => void = () => undefined;
  const exited = new Promise<number>((r) => (resolve = r));
  return {
    codes,
    exited,
    exit: (code) => {
      codes.push(code);
      resolve(code);
    },
  };
}

describe('exitAfterStop', () => {
  it('exits with the given code once stopping is done', async () => {
    const recorder = exitRecorder();
    exitAfterStop('SIGTERM', 0, { stop: async () => undefined, hardExitMs: 60_000, logger: recordingLogger(), exit: recorder.exit });
    expect(await recorder.exited).toBe(0);
  });

  it('exits with 1 when stopping fails', async () => {
    const recorder = exitRecorder();
    const logger = recordingLogger();
    exitAfterStop('SIGTERM', 0, { stop: () => Promise.reject(new Error('close failed')), hardExitMs: 60_000, logger, exit: recorder.exit });
    expect(await recorder.exited).toBe(1);
    expect(logger.lines).toContain('shutdown failed');
  });

  it('exits with 1 through the hard timer when stopping never finishes', async () => {
    const recorder = exitRecorder();
    const logger = recordingLogger();
    exitAfterStop('SIGTERM', 0, { stop: () => new Promise<void>(() => undefined), hardExitMs: 50, logger, exit: recorder.exit });
    expect(await recorder.exited).toBe(1);
    expect(recorder.codes).toEqual([1]);
    expect(logger.lines).toContain('shutdown did not finish in time; exiting anyway');
  });
});
