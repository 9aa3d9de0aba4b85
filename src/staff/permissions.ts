/**
 * Roles and permissions (DESIGN.md "Staff roles"): least privilege, one pure table. Every API
 * route declares one permission; a test checks every route against every role.
 */
export const ROLES = ['admin', 'dispatcher', 'examiner', 'postal'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = {
  'registry:import': ['admin'],
  'registry:read': ['admin'],
  /** Full ID numbers; every response that shows one is audited. */
  'licences:read-full': ['admin'],
  'screening:run': ['admin'],
  'screening:read': ['admin'],
  'cases:read': ['admin', 'dispatcher'],
  /** Start outreach and run its steps. */
  'outreach:run': ['admin'],
  /** Conversations, timelines, messages, call list, inbox and statistics: names and numbers. */
  'outreach:read': ['admin'],
  /** Record the outcome of a staff phone call. */
  'outreach:call': ['admin'],
  /** Field staff, shifts, plans and visits: names, phones, addresses; ID masked (DESIGN.md roles). */
  'scheduling:manage': ['admin', 'dispatcher'],
  'scheduling:read': ['admin', 'dispatcher'],
  /** A crew's route sheet; an examiner or a postal worker only for their own shifts. */
  'route-sheet:read': ['admin', 'dispatcher', 'examiner', 'postal'],
  /** Mark a visit done; an examiner only on their own shifts. */
  'visits:complete': ['admin', 'examiner'],
  /** The crew sets out for a visit, or is at the door (issue 14); the crew only on their own shifts. */
  'visits:progress': ['admin', 'dispatcher', 'examiner', 'postal'],
  /** The driver's written authorisation (委托书, Art 105): the postal worker of the visit's shift. */
  'authorisations:record': ['admin', 'postal'],
  /** Its signer and photo: personal data, never the examiner (issue 16). */
  'authorisations:read': ['admin', 'postal'],
  /** Withdraw a wrong one, so that it can be recorded again; its submissions wait again. */
  'authorisations:withdraw': ['admin'],
  /** Record the exam of a visit; an examiner only on their own shifts. */
  'exams:record': ['admin', 'examiner'],
  /** Exam records with their medical findings: never dispatchers (PIPL Art 28). */
  'exams:read': ['admin', 'examiner'],
  /** Cases an exam could not settle (failed, certificate too short), and closing them. */
  'follow-ups:manage': ['admin'],
  /** The 12123 submission queue: list, figures, pause, resume, retry. */
  'submissions:read': ['admin'],
  'submissions:manage': ['admin'],
  /** The 工作台 figures (issue 15): counts and rates only, no names or numbers. */
  'dashboard:read': ['admin'],
  'staff:manage': ['admin'],
  'audit:read': ['admin'],
  /** My own shifts and visits as a crew member (issue 14): whoever is linked to field staff. */
  'field:self': ['admin', 'dispatcher', 'examiner', 'postal'],
  /** Who am I: every signed-in role. */
  'self:read': ['admin', 'dispatcher', 'examiner', 'postal'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function can(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}
