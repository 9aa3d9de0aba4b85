import type { Selectable } from 'kysely';

/** The driver's written authorisation (委托书, Art 105) and idempotent posts (issue 16); see db/migrations/0012. */

export const RELATIONS = ['self', 'spouse', 'child', 'relative', 'other'] as const;
export type Relation = (typeof RELATIONS)[number];

export const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type PhotoType = (typeof PHOTO_TYPES)[number];

export interface AuthorisationsTable {
  id: string;
  visit_id: string;
  /** Sealed with DATA_KEY. */
  signer_name: string;
  relation: Relation;
  /** The photo of the signed form: sealed base64 of the image bytes. */
  photo: string;
  photo_type: PhotoType;
  recorded_by: string;
  recorded_at: string;
  withdrawn_at: string | null;
  withdrawn_by: string | null;
  withdrawn_reason: string | null;
}
export type AuthorisationRow = Selectable<AuthorisationsTable>;

export interface IdempotencyKeysTable {
  key: string;
  route: string;
  staff_id: string;
  body_hash: string;
  response_status: number;
  response_body: string;
  created_at: string;
}
