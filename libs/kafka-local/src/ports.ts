import net from 'node:net';
import { PortInUseError } from './errors';

function listenOnce(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A TCP port that was free on `host` a moment ago (the OS picks it). Another process
 * may still take it before the caller binds; the launcher retries when that happens.
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return listenOnce(host, 0);
}

/** Throws PortInUseError when something already listens on host:port. */
export async function assertPortFree(host: string, port: number): Promise<void> {
  try {
    await listenOnce(host, port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(host, port);
    throw error;
  }
}
