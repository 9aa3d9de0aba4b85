import type { CompiledQuery } from 'kysely';
import { sql } from 'kysely';
import type { AppDeps } from '../http/env.ts';
import type { CaseCategory } from '../screening/case.ts';
import { auditEntry } from '../staff/audit.ts';
import { hoursAfter } from './ladder.ts';
import { ladderOf, stepInsert } from './steps.ts';

/**
 * Starts outreach (issue 3): one conversation per driver with open cases, covering all of them,
 * with only its first step scheduled. Drivers who already have a conversation, whose number opted
 * out, or whose number was reported wrong (until the registry changes it) are left out. The
 * earliest due dates go first.
 */
export interface StartOptions {
  staffId: string | null;
  limit: number;
  category?: CaseCategory | undefined;
  community?: string | undefined;
}

export interface StartResult {
  started: number;
  /** Drivers with open cases and no conversation who were not started (limit). */
  remaining: number;
}

const CHUNK = 500;

type Candidate = { file_number: string; phone: string; phone_kind: 'mobile' | 'landline'; categories: string };

async function candidates(deps: AppDeps, options: StartOptions): Promise<Candidate[]> {
  const rows = await sql<Candidate>`
    SELECT l.file_number, l.phone, l.phone_kind, json_group_array(DISTINCT c.category) AS categories, MIN(c.due_on) AS first_due
    FROM cases c JOIN licences l ON l.file_number = c.file_number
    WHERE c.status = 'open' AND l.status = 'active'
      ${options.category ? sql`AND l.file_number IN (SELECT file_number FROM cases WHERE status = 'open' AND category = ${options.category})` : sql``}
      ${options.community ? sql`AND l.community = ${options.community}` : sql``}
      AND NOT EXISTS (SELECT 1 FROM conversations v WHERE v.file_number = l.file_number
                      AND (v.status <> 'closed' OR (v.closed_reason = 'wrong_number' AND v.phone = l.phone)))
      AND NOT EXISTS (SELECT 1 FROM opt_outs o WHERE o.phone = l.phone)
    GROUP BY l.file_number
    ORDER BY first_due, l.file_number`.execute(deps.db);
  return rows.rows;
}

export async function startOutreach(deps: AppDeps, options: StartOptions): Promise<StartResult> {
  const all = await candidates(deps, options);
  const chosen = all.slice(0, options.limit);
  const now = deps.clock.now();
  const at = now.toISOString();
  let started = 0;
  for (let i = 0; i < chosen.length; i += CHUNK) {
    const queries: CompiledQuery[] = [];
    for (const c of chosen.slice(i, i + CHUNK)) {
      const id = deps.ids.next();
      const first = ladderOf(deps, c.phone_kind)[0]!;
      queries.push(
        // ON CONFLICT: a conversation opened meanwhile by another start wins (one per driver).
        deps.db
          .insertInto('conversations')
          .values({ id, file_number: c.file_number, phone: c.phone, phone_kind: c.phone_kind, status: 'active', categories: c.categories, started_by: options.staffId, started_at: at, updated_at: at })
          .onConflict((oc) => oc.doNothing())
          .compile(),
        stepInsert(deps, id, 0, first.channel, hoursAfter(now, first.afterHours)),
      );
    }
    const results = await deps.atomic(queries);
    started += results.filter((r, k) => k % 2 === 0 && Number(r.numAffectedRows ?? 0) === 1).length;
  }
  await deps.atomic([auditEntry(deps, { staffId: options.staffId, action: 'outreach.start', details: { started, category: options.category ?? null } })]);
  deps.logger.info('outreach started', { started, remaining: all.length - chosen.length });
  return { started, remaining: all.length - chosen.length };
}
