// The compiled form of one permissions config: every table the step reads,
// built completely (files read, patterns compiled) before anything uses it.
// A reload builds a new Tables and swaps one reference, so a request sees
// either the old tables or the new ones, never a mix.
import { readFileSync } from 'node:fs';
import { configError, type ConfigError } from '#libs/config';
import { AddressTable } from './address.ts';
import type { PermissionsConfig } from './config.ts';
import { compilePolicy, UserGroups, type Policy } from './groups.ts';
import { replyKey } from './rejections.ts';
import { loadRules, type FileState, type ReadFile } from './rule-files.ts';
import type { RuleSet } from './rules.ts';
import { TrustedTable } from './trusted.ts';

export interface Tables {
  readonly config: PermissionsConfig;
  readonly enabled: boolean;
  readonly addresses: AddressTable;
  readonly trusted: TrustedTable;
  readonly trustedGroup: number | undefined;
  readonly sourceGroup: number | undefined;
  readonly routing: RuleSet;
  readonly register: RuleSet;
  readonly uri: RuleSet;
  readonly groups: UserGroups;
  readonly policies: readonly Policy[];
  /** rule files and whether they were found */
  readonly files: Readonly<Record<string, FileState>>;
}

/** Counts for logs and the answer of permissions.reload. */
export interface TablesSummary {
  address: number;
  trusted: number;
  routing: { allow: number; deny: number };
  register: { allow: number; deny: number };
  uri: { allow: number; deny: number };
  groups: number;
  policies: number;
  files: Record<string, FileState>;
}

export type CompileResult = { readonly ok: true; readonly tables: Tables } | { readonly ok: false; readonly errors: ConfigError[] };

export interface CompileOptions {
  /** default: fs.readFileSync(path, 'utf8') */
  readonly readFile?: ReadFile;
  /**
   * reply key ("403 Forbidden") -> rejection code the node knows. A policy
   * whose reply is not in it cannot be answered and is refused.
   */
  readonly replyCodes: ReadonlyMap<string, string>;
}

const defaultRead: ReadFile = (p) => readFileSync(p, 'utf8');

/** Reads the rule files and compiles everything; every problem is returned at once. */
export function compileTables(config: PermissionsConfig, opts: CompileOptions): CompileResult {
  const read = opts.readFile ?? defaultRead;
  const errors: ConfigError[] = [];
  const routing = loadRules(config.routing, 'permissions.routing', read);
  const register = loadRules(config.register, 'permissions.register', read);
  const uri = loadRules(config.uri, 'permissions.uri', read);
  errors.push(...routing.errors, ...register.errors, ...uri.errors);

  const policies: Policy[] = [];
  config.policies.forEach((p, i) => {
    const code = opts.replyCodes.get(replyKey(p));
    if (code === undefined) {
      errors.push(
        configError(
          'check',
          `permissions.policies[${i}]`,
          `policy "${p.name}" answers "${replyKey(p)}", a reply this node did not start with: a new status/reason takes a node restart (the rejection registry is fixed at start); ruri_pattern, require_group and members reload live`,
        ),
      );
      return;
    }
    policies.push(compilePolicy(p, code));
  });

  let built: Pick<Tables, 'addresses' | 'trusted' | 'groups'> | undefined;
  try {
    built = { addresses: new AddressTable(config.address), trusted: new TrustedTable(config.trusted), groups: new UserGroups(config.groups) };
  } catch (err) {
    // only reachable with a config that did not go through loadConfig
    errors.push(configError('check', 'permissions', (err as Error).message));
  }
  if (errors.length > 0 || built === undefined) return { ok: false, errors };
  const tables: Tables = Object.freeze({
    config,
    enabled: config.enabled,
    ...built,
    trustedGroup: config.trusted_group,
    sourceGroup: config.source_group,
    routing: routing.set,
    register: register.set,
    uri: uri.set,
    policies: Object.freeze(policies),
    files: Object.freeze({ ...routing.files, ...register.files, ...uri.files }),
  });
  return { ok: true, tables };
}

export function summarize(t: Tables): TablesSummary {
  const counts = (s: RuleSet) => ({ allow: s.allow.length, deny: s.deny.length });
  return {
    address: t.addresses.size,
    trusted: t.trusted.size,
    routing: counts(t.routing),
    register: counts(t.register),
    uri: counts(t.uri),
    groups: t.groups.names().length,
    policies: t.policies.length,
    files: { ...t.files },
  };
}
