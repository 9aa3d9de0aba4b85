import type { Kysely } from 'kysely';
import type { Config } from '../config.ts';
import type { SqlLimits } from '../db/limits.ts';
import type { DB } from '../db/schema/index.ts';
import type { Atomic, Clock, Ids, ImportHandoff, Telephony } from '../ports.ts';
import type { Logger } from '../shared/logger.ts';
import type { PersonalDataCipher } from '../shared/personal-data.ts';
import type { StaffMember } from '../staff/repository.ts';
import type { SessionInfo } from '../staff/sessions.ts';
import type { RegistryParser } from '../registry/seal.ts';

/** Everything a request handler may use; built by a composition root (Node entry, tests, Worker). */
export interface AppDeps {
  config: Config;
  db: Kysely<DB>;
  atomic: Atomic;
  /** What one statement may carry on this database (sqlite3's or D1's). */
  sqlLimits: SqlLimits;
  clock: Clock;
  ids: Ids;
  cipher: PersonalDataCipher;
  logger: Logger;
  /** Bytes to sealed registry batches (in-thread, or on a worker thread in the Node server). */
  registryParser: RegistryParser;
  /** SMS and calls: Twilio, or the recording adapter of the embedded default. */
  telephony: Telephony;
  /** Verifies X-Twilio-Signature: TWILIO_AUTH_TOKEN, or a generated development secret. */
  twilioAuthToken: string;
  /** Large registry uploads imported later by a queue consumer (a Worker with R2 and a Queue). */
  importHandoff?: ImportHandoff;
}

export interface AppEnv {
  Variables: {
    deps: AppDeps;
    requestId: string;
    /** Set by the permission middleware of every /api route. */
    staff: StaffMember;
    /** Set on console pages for a signed-in person (src/web/session.tsx). */
    session: SessionInfo;
  };
}
