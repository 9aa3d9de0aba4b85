import type { MessageKey } from '../i18n/messages.ts';

/**
 * Usernames are ASCII, stored lower-case: "Admin" and "admin" are one account, and SQLite's
 * NOCASE (ASCII only) then agrees with the application about which two names are the same.
 * A person's name goes in `name` (Chinese); the username is a short login handle.
 */
const USERNAME = /^[a-z0-9][a-z0-9._-]{1,39}$/;

export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

/** The catalogue key of what is wrong with a (normalized) username, or null. */
export function usernameProblem(username: string): Extract<MessageKey, 'username_shape'> | null {
  return USERNAME.test(username) ? null : 'username_shape';
}
