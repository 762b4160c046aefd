// Header hygiene: what the node relays must not tell the public side which
// products and versions sit behind it, nor carry debug and internal headers
// (Asterisk hang-up causes, FreeSWITCH X-FS-*, Kamailio P-hint, Warning text
// naming internal hosts). Pure functions over a SipMessage; the proxy calls
// scrub() on every request and response it relays.
import type { Step } from '#libs/pipeline';
import type { RequestContext } from '#libs/proxy';
import { canonicalKey, type SipMessage } from '#libs/sip';
import { defineSection, t, type InferSchema } from '#libs/config';

/** What to do with a product header (Server, User-Agent) found on a relayed message. */
export type HeaderPolicy = { readonly action: 'keep' } | { readonly action: 'remove' } | { readonly action: 'rewrite'; readonly value: string };

export interface HeaderHygieneOptions {
  /** Server header (responses) */
  readonly server: HeaderPolicy;
  /** User-Agent header (requests, and the responses some UAs stamp with it) */
  readonly userAgent: HeaderPolicy;
  /** header names removed from every relayed message; "X-Debug-*" removes every header whose name starts with "X-Debug-" */
  readonly removeHeaders: readonly string[];
}

export interface HeaderHygiene {
  /** Apply the policies to a message in place. */
  scrub(msg: SipMessage): void;
}

/** Internal and debug headers of common PBXs and proxies, and Warning (its text names hosts). */
export const DEFAULT_REMOVED_HEADERS: readonly string[] = Object.freeze(['Warning', 'X-Asterisk-*', 'X-FS-*', 'P-Kamailio-*', 'P-Hint', 'X-Debug-*']);

/**
 * Headers the SIP machinery needs end to end (routing, transactions, dialogs,
 * bodies, authentication): refused in remove lists, and never removed even
 * when a prefix would cover them.
 */
const PROTECTED = new Set([
  'via', 'from', 'to', 'call-id', 'cseq', 'contact', 'max-forwards', 'route', 'record-route',
  'content-length', 'content-type', 'content-encoding', 'require', 'proxy-require', 'supported', 'rseq', 'rack',
  'www-authenticate', 'proxy-authenticate', 'authorization', 'proxy-authorization',
]);

const NAME_RE = /^[A-Za-z0-9!%'*+._`~-]+$/;

/** Problems with a list of header names to remove (empty = fine). */
export function removeHeadersProblems(names: readonly string[]): string[] {
  const problems: string[] = [];
  for (const raw of names) {
    const n = raw.trim();
    const prefix = n.endsWith('*');
    const base = prefix ? n.slice(0, -1) : n;
    if (base === '' || !NAME_RE.test(base) || base.includes('*')) {
      problems.push(`"${raw}" is not a header name (or a name prefix ending in "*", like "X-Debug-*")`);
      continue;
    }
    const key = prefix ? base.toLowerCase() : canonicalKey(base);
    const hits = prefix ? [...PROTECTED].filter((p) => p.startsWith(key)) : PROTECTED.has(key) ? [key] : [];
    if (hits.length > 0) problems.push(`"${raw}" would remove ${hits.join(', ')}, which SIP needs end to end`);
  }
  return problems;
}

function policyProblem(name: string, p: HeaderPolicy): string | undefined {
  if (p.action !== 'rewrite') return undefined;
  if (p.value.trim() === '' || /[\r\n]/.test(p.value)) return `${name} rewrite value must be one non-empty line`;
  return undefined;
}

/** Build the scrubber; throws on a configuration that would break SIP (the config section refuses it earlier). */
export function createHeaderHygiene(opts: HeaderHygieneOptions): HeaderHygiene {
  const problems = [...removeHeadersProblems(opts.removeHeaders), policyProblem('Server', opts.server), policyProblem('User-Agent', opts.userAgent)].filter(
    (p): p is string => p !== undefined,
  );
  if (problems.length > 0) throw new Error(`header hygiene: ${problems.join('; ')}`);
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const raw of opts.removeHeaders) {
    const n = raw.trim();
    if (n.endsWith('*')) prefixes.push(n.slice(0, -1).toLowerCase());
    else exact.add(canonicalKey(n));
  }
  const { server, userAgent } = opts;
  const removes = (key: string): boolean => {
    if (PROTECTED.has(key)) return false;
    if (exact.has(key)) return true;
    for (let i = 0; i < prefixes.length; i++) if (key.startsWith(prefixes[i])) return true;
    return false;
  };
  const apply = (msg: SipMessage, name: string, p: HeaderPolicy): void => {
    if (p.action === 'keep' || !msg.hasHeader(name)) return;
    if (p.action === 'remove') msg.removeHeader(name);
    else msg.setHeader(name, p.value);
  };
  return {
    scrub(msg) {
      if (exact.size > 0 || prefixes.length > 0) {
        let doomed: string[] | undefined;
        const keys = msg.headerKeys();
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i];
          if (removes(key) && !(doomed ??= []).includes(key)) doomed.push(key);
        }
        if (doomed !== undefined) for (const key of doomed) msg.removeHeader(key);
      }
      apply(msg, 'server', server);
      apply(msg, 'user-agent', userAgent);
    },
  };
}

/** A pipeline step that scrubs the request about to be relayed; put it last among the routing steps. */
export function hygieneStep(hygiene: HeaderHygiene): Step<RequestContext> {
  return {
    name: 'hygiene',
    run(ctx) {
      hygiene.scrub(ctx.msg);
      return 'next';
    },
  };
}

// ------------------------------------------------------------------ config

const POLICY_ACTIONS = ['remove', 'rewrite', 'keep'] as const;

export const hygieneSection = defineSection(
  'hygiene',
  {
    server: t.enum(POLICY_ACTIONS, {
      doc: 'Server header of relayed responses: "remove", "rewrite" (to server_value) or "keep". Hides PBX and gateway versions from the public side. (Replies the node makes itself follow sip.server_header.)',
      default: 'remove',
    }),
    server_value: t.string({ doc: 'Server value used when server is "rewrite".', default: '' }),
    user_agent: t.enum(POLICY_ACTIONS, {
      doc: 'User-Agent header of relayed messages: "remove", "rewrite" (to user_agent_value) or "keep". Applies in both directions (the secfilter User-Agent check runs before, on what arrived).',
      default: 'remove',
    }),
    user_agent_value: t.string({ doc: 'User-Agent value used when user_agent is "rewrite".', default: '' }),
    remove_headers: t.list(t.string({ doc: 'A header name, or a name prefix ending in "*".', nonEmpty: true }), {
      doc: 'Headers removed from every relayed message (case-insensitive; "X-Debug-*" = every name starting with "X-Debug-"). Via, From, To, Call-ID, CSeq, Contact, routing, body and authentication headers are refused.',
      default: DEFAULT_REMOVED_HEADERS,
      defaultDoc: DEFAULT_REMOVED_HEADERS.join(', '),
      check: (names) => {
        const p = removeHeadersProblems(names);
        return p.length > 0 ? p : undefined;
      },
    }),
  },
  {
    doc: 'Header hygiene on relayed messages: product headers rewritten or removed, internal and debug headers stripped.',
    checks: [
      (h) => {
        const problems = [];
        for (const [name, action, value] of [['server', h.server, h.server_value], ['user_agent', h.user_agent, h.user_agent_value]] as const) {
          if (action === 'rewrite' && value.trim() === '') problems.push({ path: `${name}_value`, message: `is required when ${name} is "rewrite"` });
          if (action !== 'rewrite' && value !== '') problems.push({ path: `${name}_value`, message: `does nothing unless ${name} is "rewrite" (it is "${action}")` });
          if (/[\r\n]/.test(value)) problems.push({ path: `${name}_value`, message: 'must be a single line' });
        }
        return problems;
      },
    ],
  },
);

export type HygieneConfig = InferSchema<(typeof hygieneSection)['fields']>;

function policyOf(action: HygieneConfig['server'], value: string): HeaderPolicy {
  return action === 'rewrite' ? { action, value } : { action };
}

/** The scrubber options a loaded `hygiene` section describes. */
export function hygieneOptions(cfg: HygieneConfig): HeaderHygieneOptions {
  return { server: policyOf(cfg.server, cfg.server_value), userAgent: policyOf(cfg.user_agent, cfg.user_agent_value), removeHeaders: cfg.remove_headers };
}
