// Group membership for call policy (Kamailio `group` module is_user_in, used
// beside permissions): named groups of users, and rules saying which target
// URIs only members of a group may reach, e.g. only "international" users may
// dial ^sip:00[1-9][0-9]+@ ... The caller is the From user; without digest
// auth in front, From is what the caller claims, so pair policies with
// address groups or auth (see docs/permissions.md).
import { compilePattern } from './rules.ts';
import { parseMember, type UserId } from './uris.ts';

export class UserGroups {
  /** group -> "user@host" of members with a domain */
  private readonly exact = new Map<string, Set<string>>();
  /** group -> users that are members in any domain */
  private readonly anyDomain = new Map<string, Set<string>>();

  /** Throws on a bad member (config validation catches it first). */
  constructor(groups: Readonly<Record<string, readonly string[]>>) {
    for (const [name, members] of Object.entries(groups)) {
      const exact = new Set<string>();
      const any = new Set<string>();
      for (const m of members) {
        const id = parseMember(m);
        if (typeof id === 'string') throw new Error(`group ${name}: ${id}`);
        if (id.host === undefined) any.add(id.user);
        else exact.add(`${id.user}@${id.host}`);
      }
      this.exact.set(name, exact);
      this.anyDomain.set(name, any);
    }
  }

  has(group: string): boolean {
    return this.exact.has(group);
  }

  names(): string[] {
    return [...this.exact.keys()];
  }

  /** Kamailio is_user_in: the user is listed with its domain, or without one. */
  isMember(group: string, id: UserId | undefined): boolean {
    if (id === undefined) return false;
    if (this.anyDomain.get(group)?.has(id.user)) return true;
    return id.host !== undefined && this.exact.get(group)?.has(`${id.user}@${id.host}`) === true;
  }

  size(group: string): number {
    return (this.exact.get(group)?.size ?? 0) + (this.anyDomain.get(group)?.size ?? 0);
  }
}

export interface PolicyInput {
  readonly name: string;
  readonly ruri_pattern: string;
  readonly require_group: string;
  readonly status: number;
  readonly reason: string;
}

export interface Policy extends PolicyInput {
  readonly pattern: RegExp;
  /** the rejection code the step answers with (see rejections.ts) */
  readonly code: string;
}

export function compilePolicy(p: PolicyInput, code: string): Policy {
  return Object.freeze({ ...p, pattern: compilePattern(p.ruri_pattern), code });
}

/** The first policy the caller breaks for this target, or undefined. */
export function brokenPolicy(policies: readonly Policy[], groups: UserGroups, target: string, caller: UserId | undefined): Policy | undefined {
  for (const p of policies) {
    if (p.pattern.test(target) && !groups.isMember(p.require_group, caller)) return p;
  }
  return undefined;
}
