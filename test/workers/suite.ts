/**
 * The files the Worker's run takes from the suite (DESIGN.md "Two runtimes": one suite, both
 * runtimes): every test of these runs on Node over sqlite3 (`npm test`) and in workerd over D1
 * (`npm run test:workers`), unchanged: test/helpers/temp-db.ts is the only module swapped.
 */
export const WORKERS_SUITE = [
  'test/shared/cross-runtime-crypto.test.ts',
  'test/outreach/twilio-signature.test.ts',
  'test/http/app.test.ts',
  'test/registry/import-api.test.ts',
  'test/screening/screening-api.test.ts',
  'test/screening/pages.test.ts',
  'test/outreach/reply.test.ts',
  'test/outreach/inbox.test.ts',
  'test/security/webhooks.test.ts',
  'test/scheduling/planning-api.test.ts',
  'test/scheduling/booking.test.ts',
  'test/exams/exam-api.test.ts',
  'test/submissions/worker.test.ts',
  'test/staff/sign-in.test.ts',
  // Console pages: the role matrix of every page, and pages of each area.
  'test/web/page-roles.test.ts',
  'test/web/imports-page.test.ts',
  'test/web/cases-page.test.ts',
  'test/web/shifts-pages.test.ts',
  'test/web/submissions-page.test.ts',
];
