import { z } from '@hono/zod-openapi';
import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import type { DB } from '../db/schema/index.ts';
import type { AnswerRow } from '../db/schema/outreach.ts';
import { AppError, fieldIssue, validationError } from '../errors.ts';
import type { AppDeps } from '../http/env.ts';
import { afterCursor, page } from '../http/pagination.ts';
import { failBatchIf, isGuardFailure } from '../shared/lease.ts';
import { auditEntry } from '../staff/audit.ts';
import type { Role } from '../staff/permissions.ts';
import { planAnswer } from './answers.ts';
import { maskFileNumber, nameFor, phoneFor } from './people-view.ts';

/**
 * The staff inbox (issue 15): replies no rule could act on, for staff to decide. A reply from a
 * number no open conversation uses, one from a number several drivers share (answers.ts decides
 * not to guess), and a reply from a known driver the parser did not understand (it got one help
 * reply). Resolving one applies what the parser would have done had it understood that meaning.
 */
export const INBOX_MEANINGS = ['confirm', 'decline', 'opt_out', 'ignore'] as const;
export type InboxMeaning = (typeof INBOX_MEANINGS)[number];
export type InboxReason = 'unknown_number' | 'shared_number' | 'not_understood';
export type InboxStatus = 'open' | 'resolved';

type Deps = Pick<AppDeps, 'db' | 'atomic' | 'clock' | 'ids' | 'config' | 'logger'>;
type Staff = { id: string; role: Role };
type Answers = ExpressionBuilder<DB, 'answers'>;

/** The rows that belong in the inbox, whatever their status; `handled_at` tells open from resolved. */
function isInboxRow(eb: Answers) {
  return eb.or([
    eb('answers.outcome', 'in', ['unknown_number', 'ambiguous_number']),
    // help_sent / help_suppressed: a known driver's text the parser did not understand.
    eb.and([eb('answers.intent', '=', 'unknown'), eb('answers.outcome', 'in', ['help_sent', 'help_suppressed'])]),
  ]);
}

function reasonOf(row: Pick<AnswerRow, 'outcome'>): InboxReason {
  if (row.outcome === 'unknown_number') return 'unknown_number';
  if (row.outcome === 'ambiguous_number') return 'shared_number';
  return 'not_understood';
}

export interface InboxDriver {
  fileNumberMasked: string;
  name: string;
  /** The driver's earliest open case: what a resolve names (`caseId`) for a shared number. */
  caseId: string | null;
  conversationId: string;
  conversationStatus: string;
}

export interface InboxItem {
  id: string;
  at: string;
  channel: string;
  body: string | null;
  phone: string;
  phoneDisplay: string;
  intent: string;
  outcome: string;
  reason: InboxReason;
  status: InboxStatus;
  drivers: InboxDriver[];
  resolution: { meaning: InboxMeaning; by: string | null; at: string } | null;
}

export interface InboxFilter {
  limit: number;
  cursor?: string | undefined;
  status: InboxStatus | 'all';
}

function inboxQuery(db: Kysely<DB>) {
  return db
    .selectFrom('answers')
    .leftJoin('messages as m', 'm.id', 'answers.message_id')
    .select([
      'answers.id',
      'answers.at',
      'answers.phone',
      'answers.channel',
      'answers.intent',
      'answers.outcome',
      'answers.file_number',
      'answers.handled_by',
      'answers.handled_at',
      'm.body',
      sql<string | null>`(SELECT json_extract(al.details, '$.meaning') FROM audit_log al
        WHERE al.action = 'outreach.inbox_resolve' AND al.subject = answers.id)`.as('meaning'),
    ])
    .where(isInboxRow);
}

type InboxRow = Awaited<ReturnType<ReturnType<typeof inboxQuery>['execute']>>[number];

/** One page of the inbox, oldest first (staff work through it in the order replies came). */
export async function listInbox(deps: Pick<Deps, 'db'>, filter: InboxFilter, role: Role) {
  let q = inboxQuery(deps.db).orderBy('answers.at').orderBy('answers.id').limit(filter.limit + 1);
  if (filter.status === 'open') q = q.where('answers.handled_at', 'is', null);
  if (filter.status === 'resolved') q = q.where('answers.handled_at', 'is not', null);
  if (filter.cursor) q = q.where(afterCursor(filter.cursor, ['answers.at', 'answers.id'], 'asc'));
  const { items, nextCursor } = page(await q.execute(), filter.limit, (r) => [r.at, r.id]);
  const drivers = await driversOf(deps.db, items);
  return { items: items.map((r) => itemView(r, drivers, role)), nextCursor };
}

/** How many replies wait for staff (open) or were decided (resolved): the console's tab count. */
export async function countInbox(deps: Pick<Deps, 'db'>, status: InboxStatus): Promise<number> {
  const row = await deps.db
    .selectFrom('answers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where(isInboxRow)
    .where('answers.handled_at', status === 'open' ? 'is' : 'is not', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function inboxItem(deps: Pick<Deps, 'db'>, id: string, role: Role): Promise<InboxItem> {
  const row = await inboxQuery(deps.db).where('answers.id', '=', id).executeTakeFirst();
  if (!row) throw AppError.keyed('not_found', { key: 'inbox_item_not_found' });
  return itemView(row, await driversOf(deps.db, [row]), role);
}

interface DriverRow {
  file_number: string;
  phone: string;
  name: string;
  case_id: string | null;
  conversation_id: string;
  conversation_status: string;
}

/**
 * The drivers each item's number belongs to: the open conversations on the number (indexed; the
 * registry has no index by phone), and the driver the answer was matched to.
 */
async function driversOf(db: Kysely<DB>, rows: readonly InboxRow[]): Promise<DriverRow[]> {
  if (rows.length === 0) return [];
  const phones = [...new Set(rows.map((r) => r.phone))];
  const files = [...new Set(rows.flatMap((r) => (r.file_number ? [r.file_number] : [])))];
  return db
    .selectFrom('conversations as v')
    .innerJoin('licences as l', 'l.file_number', 'v.file_number')
    .select([
      'v.file_number',
      'v.phone',
      'l.name',
      'v.id as conversation_id',
      'v.status as conversation_status',
      sql<string | null>`(SELECT c.id FROM cases c WHERE c.file_number = v.file_number AND c.status = 'open' ORDER BY c.due_on, c.id LIMIT 1)`.as('case_id'),
    ])
    .where('v.status', '<>', 'closed')
    .where((eb) => eb.or([eb('v.phone', 'in', phones), ...(files.length > 0 ? [eb('v.file_number', 'in', files)] : [])]))
    .orderBy('v.file_number')
    .execute();
}

function itemView(r: InboxRow, drivers: readonly DriverRow[], role: Role): InboxItem {
  const reason = reasonOf(r);
  const own = drivers.filter((d) => (reason === 'not_understood' ? d.file_number === r.file_number : d.phone === r.phone));
  return {
    id: r.id,
    at: r.at,
    channel: r.channel,
    body: r.body,
    ...phoneFor(r.phone, role),
    intent: r.intent,
    outcome: r.outcome,
    reason,
    status: r.handled_at ? 'resolved' : 'open',
    drivers: own.map((d) => ({
      fileNumberMasked: maskFileNumber(d.file_number),
      name: nameFor(d.name, role),
      caseId: d.case_id,
      conversationId: d.conversation_id,
      conversationStatus: d.conversation_status,
    })),
    resolution: r.handled_at ? { meaning: (r.meaning ?? 'ignore') as InboxMeaning, by: r.handled_by, at: r.handled_at } : null,
  };
}

/** The body of POST /api/outreach/inbox/{id}/resolve (the console's form parses with it too). */
export const ResolveInboxBodySchema = z.strictObject({
  meaning: z.enum(INBOX_MEANINGS),
  caseId: z.string().uuid().optional().openapi({ description: 'The driver, for an unknown or shared number (not needed to opt out)' }),
  fileNumber: z.string().regex(/^\d{12}$/, 'must be 12 digits').optional().openapi({ description: 'The driver, instead of caseId' }),
  note: z.string().trim().max(200).optional().openapi({ description: 'No ID numbers or medical data' }),
});

export interface ResolveInput {
  meaning: InboxMeaning;
  caseId?: string | undefined;
  fileNumber?: string | undefined;
  note?: string | undefined;
}

/**
 * Staff decide what an inbox reply meant. The meaning goes through `planAnswer` as if the parser
 * had read it (same conversation changes, cancelled steps, opt-out, visit answer), without an SMS
 * back: the driver's message is old and a late acknowledgement would confuse more than it helps.
 * Once: the batch starts with a guard that fails it when the reply was resolved meanwhile.
 */
export async function resolveInboxItem(deps: Deps, id: string, input: ResolveInput, staff: Staff) {
  const row = await deps.db.selectFrom('answers').selectAll().where('id', '=', id).where(isInboxRow).executeTakeFirst();
  if (!row) throw AppError.keyed('not_found', { key: 'inbox_item_not_found' });
  if (row.handled_at) throw AppError.keyed('conflict', { key: 'inbox_item_resolved' });
  const at = deps.clock.now().toISOString();
  const queries = [
    failBatchIf(deps.db, 'inbox_resolved', sql`EXISTS (SELECT 1 FROM answers WHERE id = ${id} AND handled_at IS NOT NULL)`),
    deps.db.updateTable('answers').set({ handled_by: staff.id, handled_at: at }).where('id', '=', id).where('handled_at', 'is', null).compile(),
  ];
  let outcome: string | null = null;
  if (input.meaning !== 'ignore') {
    const conversationId = await targetConversation(deps.db, row, input);
    const plan = await planAnswer(
      deps,
      { phone: row.phone, channel: row.channel, intent: input.meaning, staffId: staff.id, note: input.note ?? null, ...(conversationId ? { conversationId } : {}) },
      { reply: false },
    );
    queries.push(...plan.queries);
    outcome = plan.decision.outcome;
  }
  queries.push(auditEntry(deps, { staffId: staff.id, action: 'outreach.inbox_resolve', subject: id, details: { meaning: input.meaning, reason: reasonOf(row), outcome } }));
  try {
    await deps.atomic(queries);
  } catch (err) {
    if (isGuardFailure(err)) throw AppError.keyed('conflict', { key: 'inbox_item_resolved' });
    throw err;
  }
  return { item: await inboxItem(deps, id, staff.role), outcome };
}

/**
 * The conversation the meaning applies to. A known driver's reply: theirs. An unknown or shared
 * number: the driver staff name (for a shared number, one of those on it). An opt-out needs no
 * driver: like `TD`, it is about the number (RULES.md §7), and stops what runs on it.
 */
async function targetConversation(db: Kysely<DB>, row: AnswerRow, input: ResolveInput): Promise<string | undefined> {
  const named = await namedDriver(db, input);
  const reason = reasonOf(row);
  if (reason === 'not_understood') {
    if (named && named !== row.file_number) throw validationError([fieldIssue(input.caseId ? 'caseId' : 'fileNumber', 'not_on_number', { key: 'inbox_driver_not_on_number' })]);
    return openConversation(db, row.file_number!);
  }
  if (!named) {
    if (input.meaning === 'opt_out') return undefined;
    throw validationError([fieldIssue('caseId', 'required', { key: 'inbox_driver_required' })]);
  }
  const conversationId = await openConversation(db, named);
  if (reason === 'shared_number') {
    const onNumber = await db.selectFrom('conversations').select('id').where('id', '=', conversationId).where('phone', '=', row.phone).executeTakeFirst();
    if (!onNumber) throw validationError([fieldIssue(input.caseId ? 'caseId' : 'fileNumber', 'not_on_number', { key: 'inbox_driver_not_on_number' })]);
  }
  return conversationId;
}

/** The file number of the driver a resolve names by case or by file number (both must agree). */
async function namedDriver(db: Kysely<DB>, input: ResolveInput): Promise<string | null> {
  let fromCase: string | null = null;
  if (input.caseId) {
    const found = await db.selectFrom('cases').select('file_number').where('id', '=', input.caseId).executeTakeFirst();
    if (!found) throw validationError([fieldIssue('caseId', 'unknown_case', { key: 'inbox_unknown_case' })]);
    fromCase = found.file_number;
  }
  if (input.fileNumber) {
    const found = await db.selectFrom('licences').select('file_number').where('file_number', '=', input.fileNumber).executeTakeFirst();
    if (!found) throw validationError([fieldIssue('fileNumber', 'unknown_file_number', { key: 'inbox_unknown_file_number' })]);
    if (fromCase && fromCase !== found.file_number) throw validationError([fieldIssue('fileNumber', 'mismatch', { key: 'inbox_driver_mismatch' })]);
    return found.file_number;
  }
  return fromCase;
}

async function openConversation(db: Kysely<DB>, fileNumber: string): Promise<string> {
  const open = await db.selectFrom('conversations').select('id').where('file_number', '=', fileNumber).where('status', '<>', 'closed').executeTakeFirst();
  if (!open) throw AppError.keyed('conflict', { key: 'inbox_no_open_conversation' });
  return open.id;
}
