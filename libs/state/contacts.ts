// Binding helpers shared by both location backends: validation, the stored
// shape, and the order lookups return (q desc, then most recently updated).
import { StateError } from './errors.ts';
import type { Contact, ContactInput } from './types.ts';
import { checkInt, checkNonEmpty } from './validate.ts';

/** The binding as stored; expiry and update time live beside it. */
export type StoredContact = Omit<Contact, 'expiresAt' | 'updatedAt'>;

export function checkContact(aor: string, c: ContactInput): void {
  checkNonEmpty('aor', aor);
  checkNonEmpty('contact uri', c.uri);
  checkNonEmpty('callId', c.callId);
  checkInt('cseq', c.cseq, 0);
  if (!Number.isFinite(c.expiresMs)) throw new StateError('STATE_BAD_ARG', `expiresMs must be finite, got ${c.expiresMs}`);
  if (c.q !== undefined && !(c.q >= 0 && c.q <= 1)) throw new StateError('STATE_BAD_ARG', `q must be within 0..1, got ${c.q}`);
  if (c.regId !== undefined) checkInt('regId', c.regId, 0);
}

export function toStored(c: ContactInput): StoredContact {
  const { expiresMs: _drop, ...rest } = c;
  // (onto rest, a fresh object: a literal adding q after a spread is slow on Node 20, libs/proxy call-events.ts)
  return Object.assign(rest, { q: c.q ?? 1 });
}

/** RFC 5626: bindings with the same instance and reg-id are one flow. */
export function sameFlow(a: { instance?: string; regId?: number }, b: { instance?: string; regId?: number }): boolean {
  return a.instance !== undefined && a.regId !== undefined && a.instance === b.instance && a.regId === b.regId;
}

export function sortContacts(list: Contact[]): Contact[] {
  return list.sort((a, b) => b.q - a.q || b.updatedAt - a.updatedAt);
}
