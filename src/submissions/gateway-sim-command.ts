import { parseArgs } from 'node:util';
import { createGatewaySimulator, type SimulatorOptions, type SimulatorStats } from './gateway-sim.ts';
import { serveGatewaySimulator } from './gateway-sim-server.ts';

export const GATEWAY_SIM_USAGE = `  gateway-sim [--port N] [--host H] [--latency-ms N] [--seed N] [--token T]
              [--error-rate X] [--timeout-rate X] [--duplicate-rate X]
                                        run the 12123 gateway simulator over HTTP (port 4010)`;

/** A bad option: the message names it and says why. */
export class GatewaySimOptionError extends Error {
  override name = 'GatewaySimOptionError';
}

/**
 * `gateway-sim`: the simulator on a port of its own, for running the service against a gateway
 * over HTTP without the real one. Runs until SIGINT/SIGTERM or `signal`, then prints the counts.
 */
export async function gatewaySimCommand(args: string[], out: (line: string) => void, signal?: AbortSignal): Promise<void> {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'latency-ms': { type: 'string' },
        'error-rate': { type: 'string' },
        'timeout-rate': { type: 'string' },
        'duplicate-rate': { type: 'string' },
        seed: { type: 'string' },
        token: { type: 'string' },
      },
    }));
  } catch (error) {
    // parseArgs names the option already ("Unknown option '--x'", "Option '--port <value>' argument missing").
    throw new GatewaySimOptionError(error instanceof Error ? error.message : String(error));
  }
  const port = wholeNumber(values.port, 'port', 0, 65_535) ?? 4010;
  const host = values.host ?? '127.0.0.1';
  if (host.trim() === '') throw new GatewaySimOptionError('--host must not be empty');
  if (values.token === '') throw new GatewaySimOptionError('--token must not be empty');
  const options: Partial<SimulatorOptions> = {};
  const latencyMs = wholeNumber(values['latency-ms'], 'latency-ms', 0, 600_000);
  if (latencyMs !== undefined) options.latencyMs = latencyMs;
  const errorRate = rate(values['error-rate'], 'error-rate');
  if (errorRate !== undefined) options.errorRate = errorRate;
  const timeoutRate = rate(values['timeout-rate'], 'timeout-rate');
  if (timeoutRate !== undefined) options.timeoutRate = timeoutRate;
  const duplicateRate = rate(values['duplicate-rate'], 'duplicate-rate');
  if (duplicateRate !== undefined) options.duplicateRate = duplicateRate;
  const seed = wholeNumber(values.seed, 'seed', 0, 2 ** 32 - 1);
  if (seed !== undefined) options.seed = seed;
  if (values.token !== undefined) options.token = values.token;

  const sim = createGatewaySimulator(options);
  const server = await serveGatewaySimulator(sim, { port, host });
  out(`gateway simulator listening on ${server.url} (POST /submissions, GET /_sim/stats)`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
    if (signal?.aborted) stop();
  });
  await server.close();
  out(summary(sim.stats()));
}

/** Counts only: the keys are left out, there may be many thousands. */
function summary(stats: SimulatorStats): string {
  const byStatus = Object.entries(stats.byStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${status}=${n}`)
    .join(' ');
  return `gateway simulator stopped: ${stats.requests} requests, ${stats.filed} filed, ${stats.duplicates} answered duplicate, ${stats.lostAnswers} answers lost; by status: ${byStatus || 'none'}`;
}

function wholeNumber(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new GatewaySimOptionError(`--${name} must be a whole number from ${min} to ${max}`);
  return n;
}

function rate(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new GatewaySimOptionError(`--${name} must be a number from 0 to 1`);
  return n;
}
