import net from 'node:net';
import { PortInUseError } from './errors';
import { assertPortFree, findFreePort } from './ports';

describe('ports', () => {
  it('finds a port that can be bound', async () => {
    const port = await findFreePort();
    expect(port).toBeGreaterThan(0);
    await expect(assertPortFree('127.0.0.1', port)).resolves.toBeUndefined();
  });

  it('reports a port somebody listens on as PORT_IN_USE', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const failure = assertPortFree('127.0.0.1', port);
      await expect(failure).rejects.toThrow(PortInUseError);
      await expect(failure).rejects.toMatchObject({ code: 'PORT_IN_USE', port, host: '127.0.0.1' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
