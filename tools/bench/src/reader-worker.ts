// A worker process of the benchmark's in-process readers (forked by
// worker-pool.ts): creates one reader, then reads the images it is sent over
// IPC, one at a time, and answers with the lines.
import { READER_FACTORIES, type InProcessReader, type InProcessReaderName } from './in-process';
import type { WorkerReply, WorkerRequest } from './worker-pool';

let reader: InProcessReader | undefined;

const reply = (message: WorkerReply): void => {
  process.send?.(message);
};

async function onRequest(request: WorkerRequest): Promise<void> {
  switch (request.kind) {
    case 'init': {
      try {
        reader = await READER_FACTORIES[request.reader as InProcessReaderName]();
        reply({ kind: 'ready' });
      } catch (error) {
        reply({ kind: 'failed', error: (error as Error).stack ?? String(error) });
      }
      return;
    }
    case 'read': {
      try {
        if (!reader) throw new Error('reader not initialised');
        const lines = await reader.read(Buffer.from(request.image));
        reply({ kind: 'lines', seq: request.seq, lines });
      } catch (error) {
        reply({ kind: 'error', seq: request.seq, error: (error as Error).message });
      }
      return;
    }
    case 'close': {
      await reader?.close().catch(() => undefined);
      process.exit(0);
    }
  }
}

// Requests arrive one at a time per worker (the pool never sends a second read before the first answer).
process.on('message', (request: WorkerRequest) => void onRequest(request));
// The pool died without closing us: go too.
process.on('disconnect', () => process.exit(0));
