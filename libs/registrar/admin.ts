// usrloc commands with Kamailio's names: ul.dump, ul.lookup, ul.rm.
import { AdminError, type AdminCommand } from '#libs/admin';
import type { Registrar } from './registrar.ts';

const aorParam = (v: unknown): string => {
  if (typeof v !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(v)) throw new AdminError('aor must look like user@domain');
  const at = v.lastIndexOf('@');
  return `${v.slice(0, at)}@${v.slice(at + 1).toLowerCase()}`;
};

export function registrarAdminCommands(registrar: Registrar): AdminCommand[] {
  return [
    {
      name: 'ul.dump',
      mutates: false,
      help: 'Registered AoRs with their contacts (received address, expiry, q, user agent), cluster-wide.',
      params: { limit: 'at most this many AoRs (default 100)' },
      run: (p) => registrar.dump(p.limit === undefined ? 100 : Math.max(1, Math.min(10_000, Number(p.limit) || 100))),
    },
    {
      name: 'ul.lookup',
      mutates: false,
      help: 'The contacts of one AoR: {"aor":"alice@example.com"}.',
      params: { aor: 'user@domain' },
      async run(p) {
        const contacts = await registrar.lookup(aorParam(p.aor));
        if (contacts.length === 0) throw new AdminError('AoR not found', 404);
        return contacts;
      },
    },
    {
      name: 'ul.rm',
      mutates: true,
      help: 'Remove an AoR\'s bindings, or one of them: {"aor":"alice@example.com","contact":"sip:alice@10.0.0.5"}.',
      params: { aor: 'user@domain', contact: 'only this contact URI (as ul.lookup shows it)' },
      async run(p) {
        const contact = p.contact === undefined ? undefined : String(p.contact);
        return { left: await registrar.remove(aorParam(p.aor), contact) };
      },
    },
  ];
}
