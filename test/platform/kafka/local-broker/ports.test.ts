import { createServer, type Server } from 'node:net';
import { PortInUseError } from '../../../../platform/kafka/local-broker/errors';
import { assertPortFree, freePorts } from '../../../../platform/kafka/local-broker/ports';

function occupy(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

describe('ports', () => {
  it('rejects a taken port with PortInUseError naming the option and the fix', async () => {
    const server = await occupy();
    const port = (server.address() as { port: number }).port;
    try {
      const error = await assertPortFree('127.0.0.1', port, 'port').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PortInUseError);
      expect((error as PortInUseError).code).toBe('BROKER_PORT_IN_USE');
      expect((error as Error).message).toBe(
        `local broker: port ${port} on 127.0.0.1 (option 'port') is already in use; stop what listens there (\`kafka-stages kafka status\` shows a local broker), pick another port, or use 0 for a free one`,
      );
    } finally {
      server.close();
    }
  });

  it('accepts a free port and leaves it free', async () => {
    const [port] = await freePorts('127.0.0.1', 1);
    await expect(assertPortFree('127.0.0.1', port!, 'port')).resolves.toBeUndefined();
    await expect(assertPortFree('127.0.0.1', port!, 'port')).resolves.toBeUndefined();
  });

  it('hands out distinct ports', async () => {
    const ports = await freePorts('127.0.0.1', 2);
    expect(new Set(ports).size).toBe(2);
  });
});
