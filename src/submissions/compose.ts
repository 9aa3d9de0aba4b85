import type { Config } from '../config.ts';
import type { GovGateway } from '../ports.ts';
import { createHttpGateway } from './gateway-http.ts';
import { createGatewaySimulator } from './gateway-sim.ts';

/** The office's gateway when GATEWAY_URL is set; else the in-process simulator (embedded default). */
export function gatewayFromConfig(config: Config): GovGateway {
  if (config.GATEWAY_URL) return createHttpGateway({ baseUrl: config.GATEWAY_URL, token: config.GATEWAY_TOKEN ?? null, timeoutMs: config.GATEWAY_TIMEOUT_MS });
  return createGatewaySimulator({ latencyMs: config.GATEWAY_SIMULATOR_LATENCY_MS, timeoutMs: config.GATEWAY_TIMEOUT_MS }).gateway;
}
