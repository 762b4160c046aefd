// The secfilter decision: lists compiled from config (and runtime admin
// changes) and one evaluate() per request. Decision order, cheapest and most
// telling first: ip -> ua -> user -> domain -> dst -> sqli; the first check
// that blocks decides. Within a check, a whitelist match of a value skips the
// blacklist for that value (Kamailio: whitelist hit = "allowed" for the check).
import type { NameAddr, SipMessage } from '#libs/sip';
import type { SecfilterAction, SecfilterConfig } from './config.ts';
import { DomainMatcher, EntryList, ipMatcher, LIST_TYPES, normalizeEntry, TextMatcher, type Entry, type ListName, type ListType, type TextMatch } from './lists.ts';
import type { SecfilterMetrics } from './metrics.ts';
import type { Check } from './rejections.ts';
import { detectSqli, type SqliMode } from './sqli.ts';
import { normalizeNumber, percentDecode, shown } from './text.ts';

export type FilterVerdict = { readonly kind: 'pass' } | { readonly kind: 'block'; readonly check: Check; readonly action: SecfilterAction; readonly detail: string };

const PASS: FilterVerdict = Object.freeze({ kind: 'pass' });

interface Matcher {
  readonly size: number;
  matches(value: string): boolean;
}

interface Compiled {
  readonly black: Matcher;
  readonly white: Matcher;
}

type Lists = Record<ListType, Record<ListName, EntryList>>;

/** Read-only picture of one list type, for secfilter.print. */
export interface ListView {
  readonly match: TextMatch | 'cidr' | 'domain';
  readonly action: SecfilterAction;
  readonly blacklist: string[];
  readonly whitelist: string[];
}

function entries(type: ListType, values: readonly string[]): Entry[] {
  // config values were checked by the section; an invalid one here is a wiring bug
  return values.map((v) => {
    const e = normalizeEntry(type, v);
    if (typeof e === 'string') throw new Error(`secfilter.${type}: ${e}`);
    return e;
  });
}

function listsOf(cfg: SecfilterConfig): Lists {
  const out = {} as Lists;
  for (const type of LIST_TYPES) {
    out[type] = { blacklist: new EntryList(entries(type, cfg[type].blacklist)), whitelist: new EntryList(entries(type, cfg[type].whitelist)) };
  }
  return out;
}

function matchOf(cfg: SecfilterConfig, type: ListType): ListView['match'] {
  switch (type) {
    case 'ua': return cfg.ua.match;
    case 'user': return cfg.user.match;
    case 'dst': return cfg.dst.match;
    case 'ip': return 'cidr';
    case 'domain': return 'domain';
  }
}

function matcher(type: ListType, match: ListView['match'], keys: string[]): Matcher {
  if (type === 'ip') return ipMatcher(keys);
  if (type === 'domain') return new DomainMatcher(keys);
  return new TextMatcher(keys, match as TextMatch);
}

type PartyHeader = 'From' | 'To' | 'Contact';

export class Secfilter {
  private cfg!: SecfilterConfig;
  private lists!: Lists;
  private compiled!: Record<ListType, Compiled>;

  constructor(config: SecfilterConfig, private readonly metrics: SecfilterMetrics) {
    this.reload(config);
  }

  /** Take a new config: lists are rebuilt from it, runtime admin changes are dropped. */
  reload(config: SecfilterConfig): void {
    const lists = listsOf(config);
    this.cfg = config;
    this.lists = lists;
    const compiled = {} as Record<ListType, Compiled>;
    for (const type of LIST_TYPES) compiled[type] = this.compile(type);
    this.compiled = compiled;
  }

  get enabled(): boolean {
    return this.cfg.enabled;
  }

  get sqliEnabled(): boolean {
    return this.cfg.sqli.enabled;
  }

  /** Add a runtime entry (this node only). Returns the normalised entry and whether it was new; throws on an invalid value. */
  add(type: ListType, list: ListName, value: string): { entry: string; added: boolean } {
    const e = normalizeEntry(type, value);
    if (typeof e === 'string') throw new RangeError(e);
    const added = this.lists[type][list].add(e);
    if (added) this.recompile(type);
    return { entry: e.text, added };
  }

  /** Remove an entry (this node only), whether it came from config or from add(). */
  delete(type: ListType, list: ListName, value: string): { entry: string; deleted: boolean } {
    const e = normalizeEntry(type, value);
    if (typeof e === 'string') throw new RangeError(e);
    const deleted = this.lists[type][list].delete(e.key);
    if (deleted) this.recompile(type);
    return { entry: e.text, deleted };
  }

  view(type: ListType): ListView {
    const action = this.cfg[type].action;
    return { match: matchOf(this.cfg, type), action, blacklist: this.lists[type].blacklist.texts(), whitelist: this.lists[type].whitelist.texts() };
  }

  private recompile(type: ListType): void {
    // swap in a new object: a request being evaluated keeps a consistent view
    this.compiled = { ...this.compiled, [type]: this.compile(type) };
  }

  private compile(type: ListType): Compiled {
    const match = matchOf(this.cfg, type);
    return { black: matcher(type, match, this.lists[type].blacklist.keys()), white: matcher(type, match, this.lists[type].whitelist.keys()) };
  }

  /** 'white' / 'black' / undefined for one value of one list type (`value` already normalised for the matcher). */
  private judge(type: ListType, c: Compiled, value: string): 'white' | 'black' | undefined {
    if (c.white.size > 0 && c.white.matches(value)) {
      this.metrics.whitelisted(type);
      return 'white';
    }
    return c.black.size > 0 && c.black.matches(value) ? 'black' : undefined;
  }

  private block(check: Check, detail: string): FilterVerdict {
    this.metrics.blocked(check);
    return { kind: 'block', check, action: this.cfg[check].action, detail };
  }

  /**
   * The verdict for one request. Sync and allocation-light: lists that are
   * empty cost nothing, and no closure is made per call (under tsx, which
   * keeps function names, each one costs a defineProperty).
   */
  evaluate(msg: SipMessage, sourceAddress: string, inDialog: boolean): FilterVerdict {
    const cfg = this.cfg;
    if (!cfg.enabled) return PASS;
    const c = this.compiled;

    if (active(c.ip) && this.judge('ip', c.ip, sourceAddress) === 'black') return this.block('ip', `source ${sourceAddress}`);

    const ua = msg.header('user-agent');
    if (ua !== undefined && active(c.ua) && this.judge('ua', c.ua, ua.toLowerCase()) === 'black') return this.block('ua', `User-Agent ${shown(ua)}`);

    const checkUsers = active(c.user);
    const checkDomains = active(c.domain);
    const sqli = cfg.sqli.enabled;
    const parties = checkUsers || checkDomains || sqli ? this.parties(msg) : [];
    if (checkUsers) {
      for (const [header, na] of parties) {
        const v = this.userVerdict(c.user, header, na);
        if (v !== undefined) return this.block('user', v);
      }
    }
    if (checkDomains) {
      for (const [header, na] of parties) {
        const host = na.uri?.host;
        if (host !== undefined && host !== '' && this.judge('domain', c.domain, host) === 'black') return this.block('domain', `${header} domain ${shown(host)}`);
      }
    }
    // called numbers: only a new call dials one (an in-dialog R-URI is the peer's Contact)
    if (!inDialog && msg.method === 'INVITE' && active(c.dst)) {
      const user = msg.requestUri()?.user;
      if (user !== undefined && this.judge('dst', c.dst, normalizeNumber(user)) === 'black') return this.block('dst', `destination ${shown(user)}`);
    }
    if (sqli) {
      const found = this.sqliIn(msg, parties, ua);
      if (found !== undefined) return this.block('sqli', found);
    }
    return PASS;
  }

  /** From, To and every Contact (not "*"), as parsed. */
  private parties(msg: SipMessage): [PartyHeader, NameAddr][] {
    const out: [PartyHeader, NameAddr][] = [];
    const from = msg.from();
    if (from !== undefined) out.push(['From', from]);
    const to = msg.to();
    if (to !== undefined) out.push(['To', to]);
    if (msg.hasHeader('contact')) for (const ct of msg.contacts()) if (!ct.star) out.push(['Contact', ct]);
    return out;
  }

  /**
   * A whitelisted user part allows that header; otherwise the user part and
   * the display name are held against the blacklist. Display names never
   * whitelist (anyone may write any), Contact display names are not looked at.
   */
  private userVerdict(c: Compiled, header: PartyHeader, na: NameAddr): string | undefined {
    const user = na.uri?.user;
    if (user !== undefined && user !== '') {
      const verdict = this.judge('user', c, percentDecode(user).toLowerCase());
      if (verdict === 'white') return undefined;
      if (verdict === 'black') return `${header} user ${shown(user)}`;
    }
    const name = na.displayName;
    if (header !== 'Contact' && name !== undefined && name !== '' && c.black.size > 0 && c.black.matches(name.toLowerCase())) return `${header} display name ${shown(name)}`;
    return undefined;
  }

  /** Strict for URI user parts (or the whole URI when it did not parse), lenient for display names and the User-Agent. */
  private sqliIn(msg: SipMessage, parties: readonly [PartyHeader, NameAddr][], ua: string | undefined): string | undefined {
    let found = sqliFinding('Request-URI', 'user', msg.requestUri()?.user, 'strict');
    if (found !== undefined) return found;
    for (let i = 0; i < parties.length; i++) {
      const [header, na] = parties[i];
      found = na.uri !== undefined ? sqliFinding(header, 'user', na.uri.user, 'strict') : sqliFinding(header, 'URI', na.uriText, 'strict');
      found ??= sqliFinding(header, 'display name', na.displayName, 'lenient');
      if (found !== undefined) return found;
    }
    return sqliFinding('User-Agent', '', ua, 'lenient');
  }
}

function active(c: Compiled): boolean {
  return c.black.size > 0 || c.white.size > 0;
}

/** "From display name \"x' or 1=1\": quote_break", or undefined when the value is clean */
function sqliFinding(header: string, part: string, value: string | undefined, mode: SqliMode): string | undefined {
  if (value === undefined || value === '') return undefined;
  const rule = detectSqli(value, mode);
  if (rule === undefined) return undefined;
  return `${header}${part === '' ? '' : ` ${part}`} ${shown(value)}: ${rule}`;
}
