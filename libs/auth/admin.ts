// kamctl / kamcmd-style commands: subscriber.add / .passwd / .rm / .show /
// .list / .import (kamctl add, passwd, rm; bulk import from a file's text),
// auth.blocks / auth.unblock (the auth_block_list htable). They act on the
// shared state, so cluster-wide. Passwords are hashed at once and never
// returned or logged; HA1s are never shown.
import { AdminError, type AdminCommand } from '#libs/admin';
import type { AuthBlockList } from './block-list.ts';
import { parseImport } from './import-file.ts';
import { SubscriberError, type SubscriberSecret, type SubscriberStore } from './subscribers.ts';

const str = (v: unknown, name: string): string => {
  if (typeof v !== 'string' || v === '') throw new AdminError(`${name} is required`);
  return v;
};

function secretOf(p: Record<string, unknown>): SubscriberSecret {
  if (p.password !== undefined) return { password: str(p.password, 'password') };
  const s: { ha1?: string; ha1Sha256?: string } = {};
  if (p.ha1 !== undefined) s.ha1 = str(p.ha1, 'ha1');
  if (p.ha1_sha256 !== undefined) s.ha1Sha256 = str(p.ha1_sha256, 'ha1_sha256');
  return s;
}

async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SubscriberError) throw new AdminError(err.message);
    throw err;
  }
}

const SECRET_PARAMS = {
  password: 'plain password (hashed at once for MD5 and SHA-256, never stored)',
  ha1: 'or: MD5 HA1, 32 hex digits of md5(username:domain:password)',
  ha1_sha256: 'or: SHA-256 HA1, 64 hex digits',
} as const;

export function subscriberAdminCommands(store: SubscriberStore): AdminCommand[] {
  return [
    {
      name: 'subscriber.add',
      secretParams: ['password', 'ha1', 'ha1_sha256'],
      mutates: true,
      help: 'Add a subscriber (kamctl add): {"username":"alice","domain":"example.com","password":"..."} or with ha1 / ha1_sha256. Refuses an existing one (use subscriber.passwd).',
      params: { username: 'user part', domain: 'a local domain (the realm)', ...SECRET_PARAMS },
      run: (p) => guarded(async () => {
        const username = str(p.username, 'username');
        const domain = str(p.domain, 'domain');
        if (await store.exists(username, domain)) throw new AdminError(`${username}@${domain} exists: use subscriber.passwd`, 409);
        const s = await store.put(username, domain, secretOf(p));
        return { username: s.username, domain: s.domain, algorithms: Object.keys(s.ha1) };
      }),
    },
    {
      name: 'subscriber.passwd',
      secretParams: ['password', 'ha1', 'ha1_sha256'],
      mutates: true,
      help: 'Change a subscriber\'s password or HA1s (kamctl passwd).',
      params: { username: 'user part', domain: 'domain', ...SECRET_PARAMS },
      run: (p) => guarded(async () => {
        const username = str(p.username, 'username');
        const domain = str(p.domain, 'domain');
        if (!(await store.exists(username, domain))) throw new AdminError(`no subscriber ${username}@${domain}`, 404);
        const s = await store.put(username, domain, secretOf(p));
        return { username: s.username, domain: s.domain, algorithms: Object.keys(s.ha1) };
      }),
    },
    {
      name: 'subscriber.rm',
      mutates: true,
      help: 'Remove a subscriber (kamctl rm). Its registrations stay until they expire (ul.rm removes them).',
      params: { username: 'user part', domain: 'domain' },
      run: (p) => guarded(async () => ({ deleted: await store.remove(str(p.username, 'username'), str(p.domain, 'domain')) })),
    },
    {
      name: 'subscriber.show',
      mutates: false,
      help: 'Whether a subscriber exists and which algorithms it can use (HA1s are never shown).',
      params: { username: 'user part', domain: 'domain' },
      run: (p) => guarded(async () => {
        const s = await store.get(str(p.username, 'username'), str(p.domain, 'domain'));
        if (s === undefined) throw new AdminError('no such subscriber', 404);
        return { username: s.username, domain: s.domain, algorithms: Object.keys(s.ha1) };
      }),
    },
    {
      name: 'subscriber.list',
      mutates: false,
      help: 'Subscribers (optionally of one domain), without secrets.',
      params: { domain: 'only this domain', limit: 'at most this many (default 1000)' },
      run: (p) => guarded(async () => store.list(p.domain === undefined ? undefined : str(p.domain, 'domain'), p.limit === undefined ? 1000 : Math.max(1, Math.min(100_000, Number(p.limit) || 1000)))),
    },
    {
      name: 'subscriber.import',
      secretParams: ['text'],
      mutates: true,
      help: 'Bulk add or replace subscribers from a file\'s text: one "user@domain password" or "user@domain ha1=... ha1_sha256=..." a line, # comments. Bad lines are reported by number, good ones imported. From a shell: sbcctl subscriber.import text=@users.txt.',
      params: { text: 'the file content (at most 10000 lines per call)' },
      run: (p) => guarded(async () => {
        const { entries, problems } = parseImport(str(p.text, 'text'));
        let imported = 0;
        for (const e of entries) {
          try {
            await store.put(e.username, e.domain, e.secret);
            imported++;
          } catch (err) {
            if (!(err instanceof SubscriberError)) throw err;
            problems.push({ line: e.line, error: err.message });
          }
        }
        return { imported, problems: problems.sort((a, b) => a.line - b.line) };
      }),
    },
  ];
}

export function blockAdminCommands(blocks: AuthBlockList): AdminCommand[] {
  return [
    {
      name: 'auth.blocks',
      mutates: false,
      help: 'Users (user:name@domain) and source addresses (ip:addr) blocked after repeated authentication failures, with the time left.',
      run: () => blocks.list(),
    },
    {
      name: 'auth.unblock',
      mutates: true,
      help: 'Lift a block cluster-wide and forget its failure count: {"key":"user:alice@example.com"} or {"key":"ip:198.51.100.7"}.',
      params: { key: 'the key as auth.blocks lists it' },
      run: async (p) => ({ lifted: await blocks.lift(str(p.key, 'key')) }),
    },
  ];
}
