/**
 * Child process of the inbound-SMS webhook benchmark (issue 3), run with tsx by bench/webhook.ts.
 *
 *   node --import tsx bench/webhook-server.ts DATA_DIR [ROWS]
 *
 * Builds the real dependencies over a fresh SQLite file in DATA_DIR (composeNode: WAL,
 * synchronous=FULL, the recording telephony adapter since no Twilio credentials are set), seeds
 * it like a real office would be (a demo registry, imported, screened as of 2026-11-26, outreach
 * started for every driver with cases), then serves in this one process:
 *
 * - the service's app (createApp) on 127.0.0.1, with PUBLIC_BASE_URL = its own address, so the
 *   X-Twilio-Signature of the parent's requests checks out;
 * - the baseline on another port, in the same process: a bare Hono app whose `POST /baseline`
 *   parses the same form body and answers TwiML (no signature check, no database).
 *
 * Request logs: LOG_LEVEL=error, so the app's one-line-per-request log at info is skipped (the
 * logger returns before JSON.stringify/scrub/write); warnings and errors still go to stderr.
 *
 * stdout carries one JSON line (URLs, signing token, database path, conversation phones); the
 * process then serves until SIGTERM/SIGINT, on which it closes the database and exits normally
 * (so `--cpu-prof` can write its profile).
 */
import { createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import twilio from 'twilio';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { writeRegistryCsv } from '../src/demo/demo-data.ts';
import { composeNode } from '../src/entry/compose-node.ts';
import { startOutreach } from '../src/outreach/start.ts';
import { importRegistry } from '../src/registry/import-service.ts';
import { getImport } from '../src/registry/repository.ts';
import { runScreening } from '../src/screening/run.ts';
import { createLogger } from '../src/shared/logger.ts';

const [dataDir, rowsArg] = process.argv.slice(2);
if (!dataDir) {
  console.error('usage: webhook-server.ts DATA_DIR [ROWS]');
  process.exit(2);
}
const rows = Number(rowsArg ?? 20_000);
const AS_OF = '2026-11-26';
const HOST = '127.0.0.1';

const listen = (server: Server) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve((server.address() as AddressInfo).port));
  });

// Listen first (port 0), so that PUBLIC_BASE_URL can name the real port; the request listener is
// attached once the app exists, before the parent learns the address.
const appServer = createServer();
const appPort = await listen(appServer);
const config = loadConfig({
  DATA_DIR: dataDir,
  PORT: String(appPort),
  HOST,
  PUBLIC_BASE_URL: `http://${HOST}:${appPort}`,
  DATA_KEY: Buffer.alloc(32, 7).toString('base64'),
  LOG_LEVEL: 'error',
  OUTREACH_TICK_SECONDS: '0',
  SCREENING_DAILY_AT: 'off',
});
const logger = createLogger({ level: config.LOG_LEVEL, write: (line) => process.stderr.write(line + '\n') });
const deps = await composeNode(config, logger);

// Seed: registry → import → screening → outreach for every driver with open cases.
const seedStarted = performance.now();
const csv = join(dataDir, 'registry.csv');
await writeRegistryCsv({ count: rows, seed: 2026, today: AS_OF, out: csv });
const outcome = await importRegistry(deps, { source: createReadStream(csv), staffId: null, origin: 'cli', filename: csv });
const imported = await getImport(deps.db, outcome.id);
const run = await runScreening(deps, { asOf: AS_OF, staffId: null, trigger: 'cli' });
const outreach = await startOutreach(deps, { staffId: null, limit: 1_000_000 });
const phones = (
  await deps.db.selectFrom('conversations').select('phone').distinct().where('status', '<>', 'closed').orderBy('phone').execute()
).map((r) => r.phone);
const seedSeconds = (performance.now() - seedStarted) / 1000;

appServer.on('request', getRequestListener(createApp(deps).fetch));
// The fair baseline (issue 18): what any Twilio webhook must do at the least, in bare Hono on the
// same Node server adapter: read the same form body, parse it as the service does
// (URLSearchParams), and answer TwiML built with the same SDK builder; no signature, no database.
const baseline = new Hono().post('/baseline', async (c) => {
  const params = Object.fromEntries(new URLSearchParams(await c.req.text()));
  const twiml = new twilio.twiml.MessagingResponse();
  twiml.message(`已收到：${params.Body ?? ''}`);
  return c.body(twiml.toString(), 200, { 'content-type': 'text/xml; charset=utf-8' });
});
const baselineServer = createServer(getRequestListener(baseline.fetch));
const baselinePort = await listen(baselineServer);

process.stdout.write(
  JSON.stringify({
    webhookUrl: `${config.PUBLIC_BASE_URL}/twilio/sms`,
    baselineUrl: `http://${HOST}:${baselinePort}/baseline`,
    authToken: deps.twilioAuthToken,
    databasePath: config.DATABASE_PATH,
    seed: {
      rows: imported?.total_rows,
      inserted: imported?.inserted,
      rejected: imported?.rejected,
      screened: run.licences_screened,
      cases: (JSON.parse(run.counts) as { created?: number }).created,
      conversations: outreach.started,
      seconds: Math.round(seedSeconds * 10) / 10,
    },
    phones,
  }) + '\n',
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  appServer.closeAllConnections();
  baselineServer.closeAllConnections();
  appServer.close();
  baselineServer.close();
  void deps.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
