import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNodeDatabase } from '../../src/db/open-node.ts';
import { randomIds, systemClock } from '../../src/ports.ts';
import { addStaff } from '../../src/staff/repository.ts';
import { CLI, SERVER } from '../helpers/program.ts';

// Issue 13, finding 11 (keys and ports at start-up) and the process-level guard: real child
// processes, each with its own data folder; every wait is for a line or an exit, never a timer.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GUARD = join(ROOT, 'src/entry/process-guard.ts');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sdc-startup-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Child {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
  /** Resolves when stdout has shown `text` (false if the child exited first). */
  printed(text: string): Promise<boolean>;
}

function start(args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME ?? dir,
      ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
      OUTREACH_TICK_SECONDS: '0',
      SCREENING_DAILY_AT: 'off',
      SUBMISSION_WORKER: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Child = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    printed: (text) =>
      new Promise((resolve) => {
        const check = () => {
          if (run.stdout.includes(text)) resolve(true);
        };
        child.stdout!.on('data', check);
        check();
        void run.exited.then(() => resolve(run.stdout.includes(text)));
      }),
  };
  child.stdout!.on('data', (c: Buffer) => (run.stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (run.stderr += c.toString()));
  return run;
}

const server = (env: Record<string, string>) => start([SERVER], env);
const cli = (env: Record<string, string>, ...argv: string[]) => start([CLI, ...argv], env);

/** A fresh data folder for one case. */
let folders = 0;
const folder = () => {
  const path = join(dir, `case-${++folders}`);
  return { DATA_DIR: path, DATABASE_PATH: join(path, 'checkup.db') };
};

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

/** The child exits 1 and says exactly one line on stderr (no stack trace); returns that line. */
async function oneLineExit(run: Child): Promise<string> {
  expect(await run.exited).toBe(1);
  const lines = run.stderr.trim().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  return lines[0]!;
}

const key = () => randomBytes(32).toString('base64');

// The refusals are independent (a folder each) and run side by side: each is a child process
// that loads the whole service before it can refuse, which is most of what this file costs.
describe.concurrent('refusals at start-up: one line, exit 1', () => {
  let busy: Server;
  let port: number;
  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
    port = (busy.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

  it('refuses to start in production without DATA_KEY, saying what to do', async () => {
    const line = await oneLineExit(server({ ...folder(), NODE_ENV: 'production', PORT: String(await freePort()) }));
    expect(line).toMatch(/^DATA_KEY is not set: NODE_ENV=production needs a real key; set DATA_KEY/);
  });

  it('refuses a malformed key with one line naming DATA_KEY: the server', async () => {
    const line = await oneLineExit(server({ ...folder(), DATA_KEY: 'not-a-key', PORT: String(await freePort()) }));
    expect(line).toBe('invalid configuration: DATA_KEY: must be 32 bytes written as 64 hex digits or base64 (generate one with: openssl rand -base64 32)');
  });

  it('refuses a malformed key with one line naming DATA_KEY: the CLI', async () => {
    const line = await oneLineExit(cli({ ...folder(), DATA_KEY: 'ab'.repeat(31), LANG: 'en_US.UTF-8' }, 'staff', 'list'));
    expect(line).toBe('error: invalid configuration: DATA_KEY: must be 32 bytes written as 64 hex digits or base64 (generate one with: openssl rand -base64 32)');
  });

  it('says that the port is in use: in Chinese by default, in English with LANG=en_US.UTF-8', async () => {
    const zh = await oneLineExit(server({ ...folder(), DATA_KEY: key(), PORT: String(port) }));
    expect(zh).toBe(`127.0.0.1 上的端口 ${port} 已被占用：请停止占用它的进程，或设置 PORT`);
    const en = await oneLineExit(server({ ...folder(), DATA_KEY: key(), PORT: String(port), LANG: 'en_US.UTF-8' }));
    expect(en).toBe(`port ${port} on 127.0.0.1 is in use: stop the other process or set PORT`);
  });

  it('says that the import file is missing: one line, exit 1, in the operator\'s language', async () => {
    const missing = join(dir, 'no-such-file.csv');
    const zh = await oneLineExit(cli({ ...folder(), DATA_KEY: key() }, 'import', missing));
    expect(zh).toBe(`错误：找不到导入文件 ${missing}：请检查路径`);
    const en = await oneLineExit(cli({ ...folder(), DATA_KEY: key(), LC_ALL: 'C' }, 'import', missing));
    expect(en).toBe(`error: the import file ${missing} does not exist: check the path`);
  });

  it('says that the database file is not SQLite', async () => {
    const notDb = join(dir, 'not-a-db.db');
    writeFileSync(notDb, 'file_number,id_number\n'.repeat(200));
    const line = await oneLineExit(server({ ...folder(), DATABASE_PATH: notDb, DATA_KEY: key(), PORT: String(await freePort()) }));
    expect(line).toBe(`${notDb} is not an SQLite database: set DATABASE_PATH (or DATA_DIR) to the service's database, or move the file away`);
  });

  it('says that DATA_DIR cannot be used (here: it is a file)', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const noKey = await oneLineExit(server({ DATA_DIR: file, PORT: String(await freePort()) }));
    expect(noKey).toMatch(new RegExp(`^cannot use DATA_DIR ${file} for the development key: .*set DATA_DIR`));
  });
});

describe('the key a database was written with', () => {
  it('is recorded on the first start; a start with another key stops with a clear message', async () => {
    const data = folder();
    const first = server({ ...data, DATA_KEY: key(), PORT: String(await freePort()) });
    expect(await first.printed('"listening"'), first.stderr).toBe(true);
    first.child.kill('SIGTERM');
    expect(await first.exited, first.stderr).toBe(0);

    const second = server({ ...data, DATA_KEY: key(), PORT: String(await freePort()) });
    expect(await oneLineExit(second)).toMatch(/^DATA_KEY does not match the key this database was encrypted with: set DATA_KEY to that key/);
    expect(second.stdout).not.toContain('listening');
  });
});

describe('the process-level guard', () => {
  const script = (body: string) => {
    const path = join(dir, `guard-${++folders}.ts`);
    writeFileSync(
      path,
      `import { EventEmitter } from 'node:events';
import { installProcessGuard } from ${JSON.stringify(GUARD)};
import { createLogger } from ${JSON.stringify(join(ROOT, 'src/shared/logger.ts'))};
const guard = installProcessGuard(createLogger({ write: (l) => process.stderr.write(l + '\\n') }));
${body}
`,
    );
    return start(['--import', 'tsx', path], {});
  };

  it('logs an error a stream emits late (no listener) and an unhandled rejection, scrubbed, and the process carries on', async () => {
    // An 'error' with nobody listening throws out of emit: what a socket does after its request is
    // done. Each step is scheduled by the one before it, after the throw has been dealt with.
    const run = script(`guard.started();
const steps = [
  () => new EventEmitter().emit('error', new Error('late stream error for 371502195603100011 at 13712345678')),
  () => void Promise.reject(new Error('nobody awaited this')),
  () => console.log('ok after'),
];
const next = () => {
  const step = steps.shift();
  if (!step) return;
  setTimeout(next, 20);
  step();
};
setTimeout(next, 1);`);
    expect(await run.printed('ok after')).toBe(true);
    expect(await run.exited).toBe(0);
    const logged = run.stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(logged.map((l) => [l.level, l.msg])).toEqual([
      ['error', 'uncaught exception'],
      ['error', 'unhandled rejection'],
    ]);
    expect(logged[0]!.stack).toMatch(/^at /);
    expect(run.stderr).not.toContain('371502195603100011');
    expect(run.stderr).not.toContain('13712345678');
  });

  it('still exits, with one line, on an uncaught error before the start has finished', async () => {
    const run = script(`setTimeout(() => new EventEmitter().emit('error', new Error('disk gone')), 10);
setTimeout(() => console.log('should not print'), 2000);`);
    expect(await oneLineExit(run)).toBe('start failed: uncaught exception: disk gone');
    expect(run.stdout).toBe('');
  });

  it('keeps the real server answering after a client aborts an upload half way', async () => {
    const data = { ...folder(), DATA_KEY: key() };
    const database = await openNodeDatabase(data.DATABASE_PATH);
    const { token } = await addStaff({ ...database, clock: systemClock, ids: randomIds }, { name: '测试管理员', role: 'admin', createdBy: null });
    await database.close();
    const port = await freePort();
    const run = server({ ...data, PORT: String(port) });
    expect(await run.printed('"listening"'), run.stderr).toBe(true);
    for (let i = 0; i < 3; i++) {
      // A multipart body announced far longer than sent, then the connection dropped.
      await new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(
            `POST /api/registry/imports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
              'Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n' +
              '--b\r\nContent-Disposition: form-data; name="file"; filename="r.csv"\r\n\r\nfile_number,id_number\r\n',
          );
          setImmediate(() => socket.destroy());
        });
        socket.on('close', () => resolve());
        socket.on('error', () => undefined);
      });
    }
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    expect(run.child.exitCode).toBeNull();
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });
});
