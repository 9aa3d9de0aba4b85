import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { GatewaySimulator } from './gateway-sim.ts';

export interface GatewaySimulatorServer {
  /** e.g. http://127.0.0.1:4010, the base URL for createHttpGateway. */
  url: string;
  close(): Promise<void>;
}

/** Serves the simulator over HTTP; port 0 takes any free port (read it from `url`). */
export async function serveGatewaySimulator(
  sim: Pick<GatewaySimulator, 'fetch'>,
  options: { port: number; host?: string },
): Promise<GatewaySimulatorServer> {
  const host = options.host ?? '127.0.0.1';
  const server = serve({ fetch: (request: Request) => sim.fetch(request), port: options.port, hostname: host });
  const port = await new Promise<number>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close() {
      // A simulated hang would hold close() open until hangMs, and keep-alive sockets until
      // they idle out: cut them. Their requests see the abort and end.
      if ('closeAllConnections' in server) server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
