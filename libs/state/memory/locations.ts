// Registrar bindings per AoR in MemoryData.
import { detachedCopy } from '#libs/strings';
import { checkContact, sameFlow, sortContacts, toStored } from '../contacts.ts';
import type { Contact, LocationStore } from '../types.ts';
import { checkInt, checkNonEmpty } from '../validate.ts';
import type { MemoryData, StoredBinding } from './data.ts';

export function memoryLocations(data: MemoryData, now: () => number): LocationStore {
  const bindings = (aor: string) => {
    const m = data.locations.get(aor);
    if (!m) return undefined;
    const t = now();
    for (const [uri, b] of m) if (b.expiresAt <= t) m.delete(uri);
    if (m.size === 0) { data.locations.delete(aor); return undefined; }
    return m;
  };
  const list = (aor: string): Contact[] =>
    sortContacts([...(bindings(aor)?.values() ?? [])].map((b) => Object.assign(structuredClone(b.contact), { expiresAt: b.expiresAt, updatedAt: b.updatedAt })));

  return {
    async save(aor, input, opts) {
      checkContact(aor, input);
      if (opts?.maxContacts !== undefined) checkInt('maxContacts', opts.maxContacts, 1);
      let m = bindings(aor);
      const cur = m?.get(input.uri);
      if (cur && cur.contact.callId === input.callId && cur.contact.cseq >= input.cseq) {
        return { ok: false, reason: 'stale-cseq', contacts: list(aor) };
      }
      if (input.expiresMs <= 0) {
        m?.delete(input.uri);
        return { ok: true, contacts: list(aor) };
      }
      const replaced = [...(m?.values() ?? [])].filter((b) => b.contact.uri !== input.uri && sameFlow(b.contact, input));
      if (!cur && opts?.maxContacts !== undefined && (m?.size ?? 0) - replaced.length >= opts.maxContacts) {
        return { ok: false, reason: 'too-many-contacts', contacts: list(aor) };
      }
      // (copies of the keys: they are slices of the REGISTER, and a binding lasts its expiry)
      if (!m) { m = new Map(); data.locations.set(detachedCopy(aor), m); }
      for (const b of replaced) m.delete(b.contact.uri);
      const t = now();
      const b: StoredBinding = { contact: structuredClone(toStored(input)), expiresAt: t + input.expiresMs, updatedAt: t };
      m.set(detachedCopy(input.uri), b);
      return { ok: true, contacts: list(aor) };
    },
    async remove(aor, uri) {
      checkNonEmpty('aor', aor); checkNonEmpty('contact uri', uri);
      bindings(aor)?.delete(uri);
      return list(aor);
    },
    async lookup(aor) {
      checkNonEmpty('aor', aor);
      return list(aor);
    },
    async removeAll(aor) {
      checkNonEmpty('aor', aor);
      const n = bindings(aor)?.size ?? 0;
      data.locations.delete(aor);
      return n;
    },
  };
}
