/** The DATA_KEY check value and key rotation progress (issue 13); see db/migrations/0009. */
export interface DataKeyCheckTable {
  id: number;
  key_check: string;
  recorded_at: string;
}

export interface KeyRotationProgressTable {
  target: string;
  to_check: string;
  after: string | null;
  rows_done: number;
  updated_at: string;
}
