import { expect } from 'vitest';
import type { Role } from '../../src/staff/permissions.ts';
import type { TestApp } from './app.ts';

/** The smallest valid PNG (1x1, grey): a photo of the signed form for tests. */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==',
  'base64',
);

export function authorisationForm(fields: { signerName?: string; relation?: string; photo?: Uint8Array | null; type?: string } = {}): FormData {
  const form = new FormData();
  form.set('signerName', fields.signerName ?? '孙测签');
  form.set('relation', fields.relation ?? 'self');
  if (fields.photo !== null) form.set('photo', new Blob([fields.photo ?? TINY_PNG], { type: fields.type ?? 'image/png' }), 'form.png');
  return form;
}

export function postAuthorisation(t: TestApp, visitId: string, form: FormData = authorisationForm(), as: Role = 'admin') {
  return t.request(`/api/visits/${visitId}/authorisation`, { method: 'POST', body: form, as });
}

/** The driver's 委托书 recorded by an admin (the visit's held submissions go). */
export async function authorise(t: TestApp, visitId: string, as: Role = 'admin'): Promise<void> {
  const res = await postAuthorisation(t, visitId, authorisationForm(), as);
  expect(res.status, await res.clone().text()).toBe(201);
}
