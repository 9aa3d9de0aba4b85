import { createReadStream } from 'node:fs';
import { access, constants, stat, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from './config.ts';
import { writeRegistryCsv } from './demo/demo-data.ts';
import { AppError } from './errors.ts';
import { localizeError, localizeRowError } from './i18n/localize.ts';
import { localeFromEnv, type Locale } from './i18n/locale.ts';
import { render, renderRef, type MessageRef } from './i18n/messages.ts';
import { composeNode, type NodeDeps } from './entry/compose-node.ts';
import { installProcessGuard, operatorMessage } from './entry/process-guard.ts';
import { recoverInterruptedWork } from './recovery.ts';
import { importRegistry } from './registry/import-service.ts';
import { getImport } from './registry/repository.ts';
import { runScreening } from './screening/run.ts';
import { DATE_INPUT_FORMS, resolveDateInput } from './shared/date-words.ts';
import { rotateDataKey } from './shared/key-rotation.ts';
import { startProgress, type Progress } from './shared/progress.ts';
import { createLogger } from './shared/logger.ts';
import { todayIn } from './shared/time.ts';
import { ROLES, type Role } from './staff/permissions.ts';
import { createApp } from './app.ts';
import { startOutreach } from './outreach/start.ts';
import { runDueSteps } from './outreach/steps.ts';
import { simulatedNumber, simulateReply, type SimulatedDriver } from './outreach/simulator.ts';
import { CASE_CATEGORIES, type CaseCategory } from './screening/case.ts';
import { maskPhone } from './shared/mask.ts';
import { addStaff, listStaff } from './staff/repository.ts';
import { staffAsSql } from './staff/d1-sql.ts';
import { PasswordInputError, readNewPassword } from './staff/password-input.ts';
import { resetPassword } from './staff/sign-in.ts';
import { normalizeUsername } from './staff/usernames.ts';
import { createDemoCrews } from './scheduling/demo-crews.ts';
import { runDueVisitNotices } from './scheduling/notices.ts';
import { commitAndSend, commitLines, latestRunLines, previewLines, previewPlan } from './scheduling/planning.ts';
import { routeSheetOf } from './scheduling/repository.ts';
import { routeSheetIcs } from './scheduling/route-sheet.ts';
import { routeSheetHtml } from './web/planning/route-sheet.tsx';
import { gatewayFromConfig } from './submissions/compose.ts';
import { GATEWAY_SIM_USAGE, gatewaySimCommand, GatewaySimOptionError } from './submissions/gateway-sim-command.ts';
import { runDueCompletionNotices } from './submissions/notices.ts';
import { startSubmissionWorker, workerSettings } from './submissions/worker.ts';

const USAGE = `usage: npm run cli -- COMMAND [options]

  migrate                               apply pending database migrations
  import FILE                           import a registry CSV (RULES.md §2)
  screen [--as-of DATE] [--lead-days N] [--renewal-min-age N]
                                        screen the registry (RULES.md §3-4)
  staff add --name NAME --role ROLE [--username U --password] [--d1-sql FILE]
                                        create an account (${ROLES.join('|')}); prints its API token
                                        last. --password reads the password from the first line of
                                        standard input (or asks twice on a terminal): U signs in.
                                        --d1-sql: write it as SQL for a Worker's D1 database instead
  staff password --username U           set a new password (read as above); ends U's sessions
  staff list                            list accounts
  demo-data --count N --out FILE [--seed N] [--chinese-headers]
                                        write a synthetic registry CSV
  outreach start [--limit N] [--category C] [--community NAME]
                                        open conversations for drivers with open cases
  outreach run                          send the due SMS and calls now (rate-limited)
  outreach messages [--limit N]         the latest SMS and calls (recorded ones without Twilio)
  simulate-reply (--phone NUMBER | --file-number F | --case ID) (--text TEXT | --digits D)
                                        play a driver answering by SMS or keypress
  demo-crews --date DATE [--count N] [--hours HH:MM-HH:MM]
                                        add N synthetic crews, each on a shift that date
                                        (default 08:00-17:30)
  plan preview|commit|show --date DATE [--seed N]
                                        plan confirmed drivers into the date's shifts; commit
                                        books them and sends the appointment SMS
  route-sheet --shift ID --out FILE [--ics]
                                        write a crew's route sheet (HTML, or iCalendar)
  worker [--until-idle]                 file due submissions to the 12123 gateway (GATEWAY_URL, or
                                        the simulator) until stopped, or until nothing is due
  rotate-key [--batch N]                re-seal every encrypted value with DATA_KEY (the new key);
                                        DATA_KEY_PREVIOUS is the old one. Resumable; N rows a batch
                                        (default 2000). Then remove DATA_KEY_PREVIOUS
${GATEWAY_SIM_USAGE}

DATE is YYYY-MM-DD, or today, tomorrow, yesterday, +N or -N days (Asia/Shanghai).
Settings come from the environment, as for the server (see .env.example).`;

/** The usage: the commands as they are typed, headed in the operator's language. */
function usage(locale: Locale): string {
  return locale === 'en' ? USAGE : USAGE.replace(/^usage: [^\n]*/, render(locale, 'cli_usage'));
}

/** An operator's mistake on the command line: one line in the operator's language, then the usage. */
class UsageError extends Error {
  constructor(readonly ref: MessageRef) {
    super(renderRef('en', ref));
  }
}

type Out = (line: string) => void;

function intOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError({ key: 'cli_usage_number', params: { name, min, max } });
  return n;
}

async function withDeps<T>(config: Config, fn: (deps: NodeDeps) => Promise<T>): Promise<T> {
  // Logs go to stderr so that stdout carries only the command's answer.
  const deps = await composeNode(config, createLogger({ level: config.LOG_LEVEL, write: (l) => process.stderr.write(l + '\n') }));
  try {
    return await fn(deps);
  } finally {
    // The recording adapter's status reports of what the command sent land before the exit.
    await deps.telephony.settle?.();
    await deps.close();
  }
}

/** Long work with its progress on stderr (src/shared/progress.ts); the line is ended however the work ends. */
async function withProgress<T>(options: Parameters<typeof startProgress>[1], work: (progress: Progress) => Promise<T>): Promise<T> {
  const progress = startProgress(process.stderr, options);
  try {
    const result = await work(progress);
    progress.finish();
    return result;
  } finally {
    progress.stop();
  }
}

/** The file's bytes as the import reads them, counted into `progress`; once all are read, the writing phase. */
async function* counted(file: string, progress: Progress, writing: string): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    progress.update(bytes);
    yield chunk;
  }
  progress.phase(writing);
}

async function importCommand(config: Config, args: string[], out: Out): Promise<void> {
  const file = args[0];
  if (!file) throw new UsageError({ key: 'cli_usage_import_file' });
  // A missing or unreadable file is an operator's mistake: one line (missingFileMessage), not a stream error.
  await access(file, constants.R_OK);
  const locale = localeFromEnv();
  const size = (await stat(file)).size;
  await withDeps(config, async (deps) => {
    await recoverInterruptedWork(deps);
    const outcome = await withProgress({ label: render(locale, 'progress_import', { file: basename(file) }), total: size, unit: 'bytes', locale }, (progress) =>
      importRegistry(deps, { source: counted(file, progress, render(locale, 'progress_import_writing')), staffId: null, origin: 'cli', filename: file }),
    );
    const row = await getImport(deps.db, outcome.id);
    // The figures add up (issue 14): every row is inserted, updated, unchanged or rejected.
    const rejected = row?.rejected ?? 0;
    const counts = { total: row?.total_rows ?? 0, inserted: row?.inserted ?? 0, updated: row?.updated ?? 0, unchanged: row?.unchanged ?? 0, rejected };
    out(render(locale, 'import_summary', { id: outcome.id, ...counts }));
    for (const w of JSON.parse(row?.warnings ?? '[]') as string[]) out(render(locale, 'import_warning', { warning: w }));
    for (const e of outcome.errors) out(render(locale, 'import_row_error', { line: e.line, field: e.field, message: localizeRowError(e, locale).message, code: e.code }));
    if (rejected > outcome.errors.length) out(render(locale, 'import_more_rejected', { rejected, id: outcome.id }));
  });
}

async function screenCommand(config: Config, args: string[], out: Out): Promise<void> {
  const { values } = parseArgs({ args, options: { 'as-of': { type: 'string' }, 'lead-days': { type: 'string' }, 'renewal-min-age': { type: 'string' } } });
  const asOf = values['as-of'] === undefined ? undefined : dateOption(values['as-of'], 'as-of');
  const leadDays = intOption(values['lead-days'], 'lead-days', 0, 3650);
  const renewalMinAge = intOption(values['renewal-min-age'], 'renewal-min-age', 0, 150);
  const locale = localeFromEnv();
  await withDeps(config, async (deps) => {
    await recoverInterruptedWork(deps);
    const licences = Number((await deps.db.selectFrom('licences').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const run = await withProgress({ label: render(locale, 'progress_screening'), total: licences, unit: 'rows', locale }, (progress) =>
      runScreening(deps, {
        asOf,
        leadDays,
        renewalMinAge,
        staffId: null,
        trigger: 'cli',
        progress: { screened: (n) => progress.update(n), publishing: () => progress.phase(render(locale, 'progress_screening_publishing')) },
      }),
    );
    const c = JSON.parse(run.counts) as Record<string, number>;
    // The figures add up (issue 14), written out as the sums they are; the counts follow as JSON.
    const n = (k: string) => c[k] ?? 0;
    out(
      render(locale, 'screening_summary', {
        id: run.id,
        asOf: run.as_of,
        screened: run.licences_screened,
        flagged: n('flaggedTotal'),
        created: n('created'),
        reopened: n('reopened'),
        updated: n('updated'),
        unchanged: n('unchanged'),
        alreadyCompleted: n('alreadyCompleted'),
        openBefore: n('updated') + n('unchanged') + n('superseded') + n('lapsed'),
        superseded: n('superseded'),
        lapsed: n('lapsed'),
      }),
    );
    out(JSON.stringify(c, null, 2));
  });
}

async function staffCommand(config: Config, args: string[], out: Out): Promise<void> {
  const [sub, ...rest] = args;
  const locale = localeFromEnv();
  if (sub === 'list') {
    await withDeps(config, async (deps) => {
      for (const s of await listStaff(deps.db, deps.clock.now())) {
        out(`${s.id}  ${s.role.padEnd(10)}  ${s.active ? 'active' : 'inactive'}  ${(s.username ?? '-').padEnd(12)}  ${s.name}`);
      }
    });
    return;
  }
  // The password is read from standard input, never taken as an argument (ps, shell history).
  const password = () =>
    readNewPassword({ first: render(locale, 'cli_password_prompt'), again: render(locale, 'cli_password_again') }).catch((err: unknown) => {
      if (err instanceof PasswordInputError) throw AppError.keyed('validation_failed', { key: err.reason === 'missing' ? 'cli_password_missing' : 'cli_password_mismatch' });
      throw err;
    });
  if (sub === 'password') {
    const { values } = parseArgs({ args: rest, options: { username: { type: 'string' } } });
    if (!values.username) throw new UsageError({ key: 'cli_usage_username_required' });
    const username = values.username;
    const next = await password();
    await withDeps(config, async (deps) => {
      const { endedSessions } = await resetPassword(deps, { username, password: next, by: null });
      out(render(locale, 'cli_staff_password_set', { username: normalizeUsername(username), sessions: endedSessions }));
    });
    return;
  }
  if (sub !== 'add') throw new UsageError({ key: 'cli_usage_staff_sub' });
  const { values } = parseArgs({
    args: rest,
    options: { name: { type: 'string' }, role: { type: 'string' }, username: { type: 'string' }, password: { type: 'boolean' }, 'd1-sql': { type: 'string' } },
  });
  const name = values.name?.trim();
  if (!name || name.length > 50) throw new UsageError({ key: 'cli_usage_name' });
  if (!ROLES.includes(values.role as Role)) throw new UsageError({ key: 'cli_usage_role', params: { roles: ROLES.join(', ') } });
  if (values.password && !values.username) throw new UsageError({ key: 'cli_usage_password_username' });
  const secret = values.password ? await password() : undefined;
  const input = { name, role: values.role as Role, createdBy: null, username: values.username, password: secret };
  const file = values['d1-sql'];
  if (file) {
    const { staff, token, script } = await staffAsSql(config, input);
    await writeFile(file, script, { mode: 0o600 });
    out(render(locale, 'cli_staff_sql_written', { role: staff.role, id: staff.id, file }));
    out(token);
    return;
  }
  await withDeps(config, async (deps) => {
    const { staff, token } = await addStaff(deps, input);
    out(render(locale, 'cli_staff_created', { role: staff.role, id: staff.id }));
    out(token);
  });
}

async function demoDataCommand(args: string[], out: Out): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { count: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' }, 'chinese-headers': { type: 'boolean' } },
  });
  const count = intOption(values.count, 'count', 0, 10_000_000);
  if (count === undefined || !values.out) throw new UsageError({ key: 'cli_usage_demo_data' });
  const result = await writeRegistryCsv({
    count,
    seed: intOption(values.seed, 'seed', 0, 2 ** 31) ?? 1,
    today: todayIn(new Date()),
    out: values.out,
    chineseHeaders: values['chinese-headers'] ?? false,
  });
  out(render(localeFromEnv(), 'cli_demo_written', { rows: result.rows, bytes: result.bytes, file: values.out! }));
}

async function outreachCommand(config: Config, args: string[], out: Out): Promise<void> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({ args: rest, options: { limit: { type: 'string' }, category: { type: 'string' }, community: { type: 'string' } } });
  const category = values.category as CaseCategory | undefined;
  if (category !== undefined && !CASE_CATEGORIES.includes(category)) throw new UsageError({ key: 'cli_usage_category', params: { categories: CASE_CATEGORIES.join(', ') } });
  await withDeps(config, async (deps) => {
    if (sub === 'start') {
      const result = await startOutreach(deps, { staffId: null, limit: intOption(values.limit, 'limit', 1, 1_000_000) ?? 100, category, community: values.community });
      out(render(localeFromEnv(), 'cli_outreach_started', { started: result.started, remaining: result.remaining }));
    } else if (sub === 'run') {
      // The same order and shared budget as the server's tick (src/outreach/loop.ts).
      let budget = config.OUTREACH_RATE_PER_MINUTE;
      const steps = await runDueSteps(deps, budget);
      budget -= steps.sent + steps.failed;
      const visits = await runDueVisitNotices(deps, Math.max(0, budget));
      budget -= visits.sent + visits.failed;
      const completions = await runDueCompletionNotices(deps, Math.max(0, budget));
      out(JSON.stringify({ ...steps, visitNotices: visits, completionNotices: completions }));
    } else if (sub === 'messages') {
      const rows = await deps.db.selectFrom('messages').selectAll().orderBy('created_at', 'desc').limit(intOption(values.limit, 'limit', 1, 1000) ?? 20).execute();
      for (const m of rows.reverse()) {
        out(`${m.created_at}  ${m.direction === 'out' ? '->' : '<-'} ${maskPhone(m.phone)}  ${m.channel} ${m.purpose} [${m.provider} ${m.status}]${m.body ? `  ${m.body}` : ''}`);
      }
    } else throw new UsageError({ key: 'cli_usage_outreach_sub' });
  });
}

async function workerCommand(config: Config, args: string[], out: Out): Promise<void> {
  const { values } = parseArgs({ args, options: { 'until-idle': { type: 'boolean' } } });
  await withDeps(config, async (deps) => {
    const worker = startSubmissionWorker(deps, gatewayFromConfig(config), workerSettings(config));
    out(render(localeFromEnv(), 'cli_worker_started', { gateway: config.GATEWAY_URL ?? 'in-process simulator' }));
    if (values['until-idle']) await worker.idle();
    else await new Promise<void>((resolve) => ['SIGINT', 'SIGTERM'].forEach((s) => process.once(s, () => resolve())));
    await worker.stop();
    const notices = await runDueCompletionNotices(deps, config.OUTREACH_RATE_PER_MINUTE);
    out(JSON.stringify({ ...worker.totals, completionSms: notices.sent }));
  });
}

async function rotateKeyCommand(config: Config, args: string[], out: Out): Promise<void> {
  const { values } = parseArgs({ args, options: { batch: { type: 'string' } } });
  // At most 8,000 rows: a batch is one UPDATE of four bound values a row (SQLite allows 32,766).
  const batchSize = intOption(values.batch, 'batch', 1, 8000) ?? 2000;
  await withDeps(config, async (deps) => {
    // An import whose process died would hold the rotation back: it is marked failed first.
    await recoverInterruptedWork(deps);
    // On a terminal a bar for each column; piped, a line per batch as before.
    const locale = localeFromEnv();
    const bars = new Map<string, Progress>();
    const rows = process.stderr.isTTY
      ? (column: string, done: number, total: number) => {
          let bar = bars.get(column);
          if (!bar) {
            [...bars.values()].forEach((b) => b.finish());
            bar = startProgress(process.stderr, { label: render(locale, 'progress_rotation', { column }), total, unit: 'rows', locale });
            bars.set(column, bar);
          }
          bar.update(done);
        }
      : undefined;
    try {
      await rotateDataKey(deps, deps.dataKeys, { batchSize, progress: out, ...(rows ? { rows } : {}) });
      [...bars.values()].forEach((b) => b.finish());
    } finally {
      [...bars.values()].forEach((b) => b.stop());
    }
  });
}

/** A date option: YYYY-MM-DD, or today, tomorrow, +N... counted from today in Asia/Shanghai (issue 14). */
function dateOption(value: string | undefined, name = 'date'): string {
  const date = value === undefined ? null : resolveDateInput(value, todayIn(new Date()));
  if (date === null) throw new UsageError({ key: 'cli_usage_date', params: { name, forms: DATE_INPUT_FORMS } });
  return date;
}

async function demoCrewsCommand(config: Config, args: string[], out: Out): Promise<void> {
  const { values } = parseArgs({ args, options: { date: { type: 'string' }, count: { type: 'string' }, hours: { type: 'string' } } });
  const date = dateOption(values.date);
  const count = intOption(values.count, 'count', 1, 100) ?? 4;
  const hours = /^((?:[01]\d|2[0-3]):[0-5]\d)-((?:[01]\d|2[0-3]):[0-5]\d)$/.exec(values.hours ?? '08:00-17:30');
  if (!hours || hours[1]! >= hours[2]!) throw new UsageError({ key: 'cli_usage_hours' });
  const [, startsAt, endsAt] = hours as unknown as [string, string, string];
  await withDeps(config, async (deps) => {
    const ids = await createDemoCrews(deps, date, count, { startsAt, endsAt });
    out(render(localeFromEnv(), 'cli_crews_added', { count: ids.length, date, startsAt, endsAt }));
    for (const id of ids) out(render(localeFromEnv(), 'cli_crew_shift', { id }));
  });
}

async function planCommand(config: Config, args: string[], out: Out): Promise<void> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({ args: rest, options: { date: { type: 'string' }, seed: { type: 'string' } } });
  const date = dateOption(values.date);
  await withDeps(config, async (deps) => {
    if (sub === 'preview') {
      const seed = intOption(values.seed, 'seed', 0, 2 ** 31 - 1);
      const locale = localeFromEnv();
      // The search's share done, as a share of a hundred (the time budget or the iterations, whichever ends it).
      const r = await withProgress({ label: render(locale, 'progress_plan', { date }), total: 100, unit: 'percent', locale }, (progress) =>
        previewPlan(deps, date, { staffId: null, seed, onProgress: (share) => progress.update(Math.round(share * 100)) }),
      );
      for (const line of previewLines(r, locale)) out(line);
    } else if (sub === 'commit') {
      for (const line of commitLines(await commitAndSend(deps, date, null), localeFromEnv())) out(line);
    } else if (sub === 'show') {
      for (const line of await latestRunLines(deps, date, localeFromEnv())) out(line);
      const shifts = await deps.db.selectFrom('shifts').selectAll().where('date', '=', date).where('status', '=', 'open').orderBy('starts_at').execute();
      for (const shift of shifts) {
        const visits = await deps.db
          .selectFrom('visits')
          .select(['seq', 'starts_at', 'window_start', 'window_end', 'status', 'stop_label'])
          .where('shift_id', '=', shift.id)
          .where('status', '<>', 'cancelled')
          .orderBy('seq')
          .execute();
        out(render(localeFromEnv(), 'cli_plan_shift', { id: shift.id, startsAt: shift.starts_at, endsAt: shift.ends_at, visits: visits.length, capacity: shift.capacity }));
        for (const v of visits) out(render(localeFromEnv(), 'cli_plan_visit', { seq: v.seq, startsAt: v.starts_at, windowStart: v.window_start, windowEnd: v.window_end, status: v.status, stop: v.stop_label }));
      }
    } else throw new UsageError({ key: 'cli_usage_plan_sub' });
  });
}

async function routeSheetCommand(config: Config, args: string[], out: Out): Promise<void> {
  const { values } = parseArgs({ args, options: { shift: { type: 'string' }, out: { type: 'string' }, ics: { type: 'boolean' } } });
  if (!values.shift || !values.out) throw new UsageError({ key: 'cli_usage_route_sheet' });
  await withDeps(config, async (deps) => {
    const sheet = await routeSheetOf(deps.db, values.shift!);
    if (!sheet) throw new UsageError({ key: 'cli_usage_no_shift' });
    const now = deps.clock.now();
    const text = values.ics ? routeSheetIcs(sheet, now, config.PUBLIC_BASE_URL) : routeSheetHtml(sheet, todayIn(now));
    await writeFile(values.out!, text);
    out(render(localeFromEnv(), 'cli_route_sheet_written', { visits: sheet.visits.length, file: values.out! }));
  });
}

async function simulateReplyCommand(config: Config, args: string[], out: Out): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { phone: { type: 'string' }, 'file-number': { type: 'string' }, case: { type: 'string' }, text: { type: 'string' }, digits: { type: 'string' } },
  });
  const who = [values.phone, values['file-number'], values.case].filter((v) => v !== undefined);
  if (who.length !== 1 || (values.text === undefined) === (values.digits === undefined)) {
    throw new UsageError({ key: 'cli_usage_simulate' });
  }
  const driver: SimulatedDriver =
    values.phone !== undefined ? { phone: values.phone } : values['file-number'] !== undefined ? { fileNumber: values['file-number'] } : { caseId: values.case! };
  await withDeps(config, async (deps) => {
    const phone = await simulatedNumber(deps, driver);
    const result = await simulateReply(deps, createApp(deps), { phone, text: values.text, digits: values.digits });
    if (result.status === 404) throw new UsageError({ key: 'cli_usage_no_conversation' });
    if (result.status !== 200) throw new Error(`the webhook answered ${result.status}`);
    const locale = localeFromEnv();
    const text = result.reply ?? render(locale, 'cli_reply_none');
    out(render(locale, values.text !== undefined ? 'cli_reply_sms' : 'cli_reply_call', { text }));
    out(render(locale, 'cli_conversation', { status: result.conversationStatus ?? render(locale, 'cli_reply_none') }));
  });
}

export async function runCli(argv: string[], out: Out = (l) => process.stdout.write(l + '\n')): Promise<void> {
  const [command, ...args] = argv;
  if (!command || command === 'help' || command === '--help') {
    out(usage(localeFromEnv()));
    return;
  }
  if (command === 'demo-data') return demoDataCommand(args, out);
  if (command === 'gateway-sim') {
    return gatewaySimCommand(args, out).catch((err: unknown) => {
      throw err instanceof GatewaySimOptionError ? new UsageError({ key: 'cli_usage_option', params: { detail: err.message } }) : err;
    });
  }
  const config = loadConfig();
  switch (command) {
    case 'migrate':
      // Opening the database applies pending migrations.
      return withDeps(config, async () => out(`database ${config.DATABASE_PATH} is up to date`));
    case 'import':
      return importCommand(config, args, out);
    case 'screen':
      return screenCommand(config, args, out);
    case 'staff':
      return staffCommand(config, args, out);
    case 'outreach':
      return outreachCommand(config, args, out);
    case 'simulate-reply':
      return simulateReplyCommand(config, args, out);
    case 'demo-crews':
      return demoCrewsCommand(config, args, out);
    case 'plan':
      return planCommand(config, args, out);
    case 'route-sheet':
      return routeSheetCommand(config, args, out);
    case 'worker':
      return workerCommand(config, args, out);
    case 'rotate-key':
      return rotateKeyCommand(config, args, out);
    default:
      throw new UsageError({ key: 'cli_usage_unknown_command', params: { command } });
  }
}

/**
 * Commands that run for long (a worker until stopped, a large import, screening or key rotation)
 * keep going through an error something emits late, like the server (src/entry/process-guard.ts);
 * their own failures still end them through the promise below.
 */
const LONG_RUNNING = new Set(['worker', 'import', 'screen', 'rotate-key']);

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  if (LONG_RUNNING.has(argv[0] ?? '')) installProcessGuard(createLogger({ write: (l) => process.stderr.write(l + '\n') })).started();
  runCli(argv).catch((err: unknown) => {
    const locale = localeFromEnv();
    const line = err instanceof AppError ? localizeError(err, locale).message : (missingFileMessage(err, locale) ?? operatorMessage(err));
    // An unknown or malformed option (node:util parseArgs) is a usage mistake too: no stack.
    if (isParseArgsError(err)) console.error(`${render(locale, 'cli_usage_option', { detail: err.message })}\n\n${usage(locale)}`);
    else if (err instanceof UsageError) console.error(`${renderRef(locale, err.ref)}\n\n${usage(locale)}`);
    else if (line !== null) console.error(render(locale, 'cli_error', { line }));
    else console.error(err);
    process.exit(err instanceof UsageError || isParseArgsError(err) ? 2 : 1);
  });
}

/** A file named on the command line that is not there (e.g. `import FILE`): one line, no stack. */
function missingFileMessage(err: unknown, locale: Locale): string | null {
  const e = err as NodeJS.ErrnoException;
  if (!(err instanceof Error) || typeof e.path !== 'string') return null;
  if (e.code === 'ENOENT') return render(locale, 'import_file_missing', { file: e.path });
  if (e.code === 'EACCES' || e.code === 'EISDIR') return render(locale, 'import_file_unreadable', { file: e.path, reason: e.code });
  return null;
}

function isParseArgsError(err: unknown): err is Error {
  return err instanceof TypeError && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_');
}
