#!/usr/bin/env node
// `npm test`: vitest with its arguments, on Node and in workerd (vitest.config.ts, projects
// `node` and `workerd`). workerd prints `disconnected: WebSocket peer disconnected` each time the
// Workers pool closes a test file's connection, the last one after vitest's summary; that line
// says nothing and is left out. Everything else passes through; the exit code is vitest's.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const NOISE = 'disconnected: WebSocket peer disconnected';
const env = { ...process.env };
if (process.stdout.isTTY && env.FORCE_COLOR === undefined) env.FORCE_COLOR = '1';
const child = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)], {
  stdio: ['inherit', 'pipe', 'pipe'],
  env,
});
const lines = [
  [child.stdout, process.stdout],
  [child.stderr, process.stderr],
].map(([from, to]) => {
  const reader = createInterface({ input: from, crlfDelay: Infinity });
  reader.on('line', (line) => {
    if (!line.includes(NOISE)) to.write(`${line}\n`);
  });
  return new Promise((resolve) => reader.once('close', resolve));
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
const [code, signal] = await new Promise((resolve) => child.once('exit', (c, s) => resolve([c, s])));
await Promise.all(lines);
process.exit(signal ? 1 : (code ?? 1));
