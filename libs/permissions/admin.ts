// kamcmd-style commands: Kamailio's permissions RPC names in snake_case
// (addressDump -> address_dump), because libs/admin command names are
// lower-case. They read this node's tables; permissions.reload re-reads this
// node's rule files.
import { AdminError, type AdminCommand } from '#libs/admin';
import { formatConfigErrors } from '#libs/config';
import { formatSource } from './rules.ts';
import type { Permissions, ReloadResult } from './permissions.ts';
import type { Tables } from './tables.ts';
import { plainUriText } from './uris.ts';

export interface PermissionsAdminDeps {
  readonly tables: () => Tables;
  readonly reload: () => ReloadResult;
}

const RULE_SETS = ['routing', 'register', 'uri'] as const;
type RuleSetName = (typeof RULE_SETS)[number];

function groupParam(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new AdminError('group must be a positive integer');
  return n;
}

function stringParam(v: unknown, name: string): string {
  if (typeof v !== 'string' || v === '') throw new AdminError(`${name} is required`);
  return v;
}

export function permissionsAdminCommands(deps: PermissionsAdminDeps): AdminCommand[] {
  return [
    {
      name: 'permissions.address_dump',
      mutates: false,
      help: 'Exact addresses of the address table (subnets: permissions.subnet_dump), optionally of one group: {"group":1}.',
      params: { group: 'address group id (optional)' },
      run: (p) => deps.tables().addresses.dump('address', groupParam(p.group)),
    },
    {
      name: 'permissions.subnet_dump',
      mutates: false,
      help: 'Subnets of the address table with their mask, optionally of one group: {"group":1}.',
      params: { group: 'address group id (optional)' },
      run: (p) => deps.tables().addresses.dump('subnet', groupParam(p.group)),
    },
    {
      name: 'permissions.trusted_dump',
      mutates: false,
      help: 'Rows of the trusted table in the order they are tried (highest priority first).',
      run: () => deps.tables().trusted.dump(),
    },
    {
      name: 'permissions.allow_uri',
      mutates: false,
      help: 'Test a pair against allow/deny rules as the step would: {"rules":"routing","from":"sip:alice@example.com","uri":"sip:0049301234@example.com"}.',
      params: {
        rules: 'routing (From, R-URI), register (To, Contact) or uri (From, Refer-To); default routing',
        from: 'From URI (To URI for register)',
        uri: 'R-URI, Contact URI or Refer-To URI',
      },
      run(p) {
        const name = (p.rules ?? 'routing') as RuleSetName;
        if (!RULE_SETS.includes(name)) throw new AdminError(`rules must be one of ${RULE_SETS.join(', ')}`);
        const from = stringParam(p.from, 'from');
        const raw = stringParam(p.uri, 'uri');
        // the step compares plain R-URI / Contact (sip:user@host); Refer-To as written
        const uri = name === 'uri' ? raw : plainUriText(raw);
        const d = deps.tables()[name].decide(from, uri);
        return {
          allowed: d.verdict !== 'deny',
          matched: d.verdict,
          ...(d.verdict !== 'none' ? { rule: formatSource(d.rule.source), text: d.rule.text } : {}),
          compared: { from, uri },
        };
      },
    },
    {
      name: 'permissions.reload',
      mutates: true,
      help: 'Re-read the allow/deny rule files on this node and rebuild every table; on any error the current tables stay.',
      run() {
        const r = deps.reload();
        if (!r.ok) throw new AdminError(formatConfigErrors(r.errors), 422);
        return r.summary;
      },
    },
  ];
}

/**
 * permissions.apply: validate a permissions document on this node, then
 * hand it to `publish` (ClusterConfig.apply) so every node switches to it.
 * Not a Kamailio command (Kamailio has no cluster); the node wires it.
 */
export function permissionsApplyCommand(perms: Pick<Permissions, 'check'>, publish: (doc: string) => Promise<{ version: number }>): AdminCommand {
  return {
    name: 'permissions.apply',
    mutates: true,
    help: 'Replace the permissions section on every node of the cluster: {"doc":"<the section as YAML or JSON text>"}; checked here first (422 with the problems).',
    params: { doc: 'the permissions section body (address, trusted, routing, ... ) as YAML or JSON text' },
    async run(p) {
      const doc = stringParam(p.doc, 'doc');
      const checked = perms.check(doc);
      if (!checked.ok) throw new AdminError(formatConfigErrors(checked.errors), 422);
      const { version } = await publish(doc);
      return { version, ...checked.summary };
    },
  };
}
