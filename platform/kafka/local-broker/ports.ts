import { createServer, type Server } from 'node:net';
import { formatOptionProblem, InternalError } from '../../../stages/index';
import { InvalidBrokerOptionsError, PortInUseError } from './errors';

function listen(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Fails with {@link PortInUseError} when `port` cannot be bound on `host`. `option` names
 * the option that asked for it, for the message.
 */
export async function assertPortFree(host: string, port: number, option: string): Promise<void> {
  try {
    await close(await listen(host, port));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new PortInUseError(
        `local broker: port ${port} on ${host} (option '${option}') is already in use; stop ` +
          'what listens there (`kafka-stages kafka status` shows a local broker), pick ' +
          'another port, or use 0 for a free one',
        { cause: error },
      );
    }
    throw new InvalidBrokerOptionsError(
      formatOptionProblem('local broker', {
        path: option,
        value: port,
        allowed: `a port that can be bound on ${host} (${(error as Error).message})`,
      }),
      { cause: error },
    );
  }
}

/**
 * `count` distinct ports that were free on `host` a moment ago (bound together, then
 * released). Another process could take one before the broker binds it; the broker then
 * fails to start and says so in its log.
 */
export async function freePorts(host: string, count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listen(host, 0));
    return servers.map((s) => {
      const address = s.address();
      if (address === null || typeof address === 'string')
        throw new InternalError('freePorts: a listening server has no port');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map(close));
  }
}
