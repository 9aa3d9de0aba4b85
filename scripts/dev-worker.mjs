// `npm run dev:worker`: the Worker on this machine - `wrangler dev` with a local D1 database (in
// .wrangler/), migrated by the same files as the Node server, with a demo admin and demo data on
// the first start. The settings are wrangler.toml's [vars] and .dev.vars (written here on the
// first start with a random DATA_KEY; never committed). PORT (default 8787) changes the port.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.env.PORT ?? 8787);
const base = `http://127.0.0.1:${port}`;
const state = join(root, '.wrangler', 'dev-demo.json');
const DATABASE = 'senior-driver-checkup';
const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
const cli = (args, input) => run(process.execPath, [join(root, 'scripts', 'launch.mjs'), 'cli', ...args], input);

function run(command, args, input) {
  const result = spawnSync(command, args, { cwd: root, input, encoding: 'utf8', env: { ...process.env, CI: '1', LANG: 'en_US.UTF-8' } });
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    throw new Error(`${[command, ...args].join(' ')} failed`);
  }
  return result.stdout;
}

function devVars() {
  const file = join(root, '.dev.vars');
  if (existsSync(file)) return;
  writeFileSync(file, `DATA_KEY=${randomBytes(32).toString('base64')}\nPUBLIC_BASE_URL=${base}\n`, { mode: 0o600 });
  console.log('wrote .dev.vars (a new DATA_KEY for the local database)');
}

/** The demo admin: made by the CLI as SQL (staff add --d1-sql) and run on the local D1. */
function demoAdmin() {
  if (existsSync(state)) return JSON.parse(readFileSync(state, 'utf8'));
  mkdirSync(dirname(state), { recursive: true });
  const password = randomBytes(9).toString('base64url');
  const sqlFile = join(root, '.wrangler', 'dev-admin.sql');
  const token = cli(['staff', 'add', '--name', '演示管理员', '--role', 'admin', '--username', 'admin', '--password', '--d1-sql', sqlFile], `${password}\n`).trim().split('\n').at(-1);
  run(wrangler, ['d1', 'execute', DATABASE, '--local', '--file', sqlFile]);
  const demo = { username: 'admin', password, token, loaded: false };
  writeFileSync(state, JSON.stringify(demo, null, 2), { mode: 0o600 });
  return demo;
}

async function waitForHealth() {
  for (;;) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/** 500 synthetic drivers imported and screened through the Worker's own API, once. */
async function demoData(demo) {
  if (demo.loaded) return;
  const file = join(root, '.wrangler', 'demo-registry.csv');
  cli(['demo-data', '--count', '500', '--out', file]);
  const headers = { authorization: `Bearer ${demo.token}` };
  const imported = await fetch(`${base}/api/registry/imports`, { method: 'POST', headers: { ...headers, 'content-type': 'text/csv' }, body: readFileSync(file) });
  const screened = await fetch(`${base}/api/screenings`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}' });
  if (!imported.ok || !screened.ok) throw new Error(`demo data: import ${imported.status}, screening ${screened.status}`);
  writeFileSync(state, JSON.stringify({ ...demo, loaded: true }, null, 2), { mode: 0o600 });
}

devVars();
run(wrangler, ['d1', 'migrations', 'apply', DATABASE, '--local']);
const demo = demoAdmin();
const dev = spawn(wrangler, ['dev', '--local', '--ip', '127.0.0.1', '--port', String(port), '--test-scheduled'], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => dev.kill(signal));
dev.once('exit', (code) => process.exit(code ?? 0));
await waitForHealth();
await demoData(demo);
console.log(`\nThe Worker: ${base}/console (username ${demo.username}, password ${demo.password}); API token: ${demo.token}`);
console.log(`A cron tick by hand: curl "${base}/__scheduled?cron=*+*+*+*+*"\n`);
