/**
 * A real browser over the real app (Debian's Chromium, installed by .ci/run), for the console's
 * tests: the app served on a free port of 127.0.0.1, and Chromium launched headless.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { chromium, type Browser } from 'playwright-core';
import type { TestApp } from './app.ts';

export interface Served {
  url: string;
  close(): Promise<void>;
}

export async function serve(t: TestApp): Promise<Served> {
  const server: Server = createServer(getRequestListener(t.app.fetch));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
