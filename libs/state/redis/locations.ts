// usrloc bindings: a hash per AoR (uri -> "<updated ms>|<json>") and a sorted
// set of expiries (Redis clock); both keys live as long as the last binding.
import type { RedisClient } from './client.ts';
import { checkContact, sortContacts, toStored, type StoredContact } from '../contacts.ts';
import type { KeySpace } from '../keys.ts';
import type { Contact, LocationStore, SaveResult } from '../types.ts';
import { checkInt, checkNonEmpty } from '../validate.ts';
import { call } from './errors.ts';
import { runScript } from './scripts.ts';

const STATUS = { 1: 'ok', 2: 'stale-cseq', 3: 'too-many-contacts' } as const;

export function redisLocations(redis: RedisClient, keys: KeySpace, now: () => number): LocationStore {
  const run = async (aor: string, args: (string | number)[]) => {
    const flat = await runScript(redis, 'sbcLocation', [keys.location(aor), keys.locationExpiry(aor)], args) as (string | number)[];
    const status = STATUS[Number(flat[0]) as 1 | 2 | 3];
    const serverNow = Number(flat[1]);
    // Redis-clock times become caller-clock times by their distance from "now".
    const t = now();
    const contacts: Contact[] = [];
    for (let i = 2; i < flat.length; i += 3) {
      const v = String(flat[i + 1]);
      const bar = v.indexOf('|');
      const stored = JSON.parse(v.slice(bar + 1)) as StoredContact;
      contacts.push(Object.assign(stored, { updatedAt: t - (serverNow - Number(v.slice(0, bar))), expiresAt: t + (Number(flat[i + 2]) - serverNow) }));
    }
    return { status, contacts: sortContacts(contacts) };
  };
  const lookupArgs = (op: 'lookup' | 'remove', uri = '') => [op, uri, 0, '', 0, '', '', '', 0];

  return {
    save(aor, input, opts) {
      return call(async (): Promise<SaveResult> => {
        checkContact(aor, input);
        if (opts?.maxContacts !== undefined) checkInt('maxContacts', opts.maxContacts, 1);
        const { status, contacts } = await run(aor, [
          'save', input.uri, Math.ceil(input.expiresMs), input.callId, input.cseq,
          input.instance ?? '', input.regId ?? '', JSON.stringify(toStored(input)), opts?.maxContacts ?? 0,
        ]);
        return status === 'ok' ? { ok: true, contacts } : { ok: false, reason: status, contacts };
      });
    },
    remove(aor, uri) {
      return call(async () => {
        checkNonEmpty('aor', aor); checkNonEmpty('contact uri', uri);
        return (await run(aor, lookupArgs('remove', uri))).contacts;
      });
    },
    lookup(aor) {
      return call(async () => {
        checkNonEmpty('aor', aor);
        return (await run(aor, lookupArgs('lookup'))).contacts;
      });
    },
    removeAll(aor) {
      return call(async () => {
        checkNonEmpty('aor', aor);
        return await runScript(redis, 'sbcLocationClear', [keys.location(aor), keys.locationExpiry(aor)], []) as number;
      });
    },
  };
}
