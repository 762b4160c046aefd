// The `auth` and `auth_block` config sections. Names follow Kamailio's auth
// module (nonce_expire, auth_checks_register, auth_checks_no_dlg, algorithm)
// where one exists; the block list follows the htable auth_block_list of the
// Kamailio seed configs (30 failures in 300 s block for 900 s).
import { defineSection, t, type InferSchema, type SectionProblem } from '#libs/config';
import { parseCidr } from '#libs/address';
import { MIN_SECRET_CHARS } from './nonce.ts';

const BINDINGS = ['src_ip', 'call_id', 'ruri'] as const;
const DOMAIN = /^[A-Za-z0-9.-]{1,253}$|^\[[0-9A-Fa-f:.]{2,45}\]$/;

export const authSection = defineSection(
  'auth',
  {
    enabled: t.bool({ doc: 'Digest-authenticate users (Kamailio auth + auth_db): REGISTERs to a local domain get 401 (www_challenge), initial requests from a local domain\'s users get 407 (proxy_challenge). Needs secret and domains.', default: false }),
    domains: t.list(t.string({ doc: 'A domain (host name or IP).', nonEmpty: true, pattern: DOMAIN, patternDoc: 'a host name or an IP address' }), {
      doc: 'The local domains (Kamailio domain table / myself): their users are subscribers, authenticated here, and registered by the registrar. The realm of a challenge is the domain (To for REGISTER, From otherwise).',
      default: [],
    }),
    secret: t.string({
      secret: true,
      optional: true,
      doc: `Nonce secret (at least ${MIN_SECRET_CHARS} chars), the same on every node: nonces are HMAC-signed with it, so any node verifies a nonce another issued. Set it through SBC_AUTH_SECRET or a Kubernetes Secret, not in the file.`,
    }),
    previous_secrets: t.list(t.string({ doc: 'A retired secret.', nonEmpty: true, secret: true }), {
      doc: 'Secrets still accepted for verifying (not for signing): put the old secret here when rotating, remove it after nonce_expire.',
      default: [],
    }),
    nonce_expire: t.duration({ doc: 'Nonce lifetime (Kamailio nonce_expire). An older nonce gets a new challenge with stale=true; nc replay marks live this long in Redis.', min: 1000, max: 3_600_000, default: 300_000 }),
    algorithms: t.list(t.enum(['SHA-256', 'MD5'], { doc: 'A digest algorithm (RFC 8760 names).' }), {
      doc: 'Algorithms offered, one challenge header each, in this order (strongest first). A subscriber needs the HA1 of an algorithm to use it.',
      default: ['SHA-256', 'MD5'],
      minItems: 1,
    }),
    auth_checks_register: t.list(t.enum(BINDINGS, { doc: 'src_ip, call_id or ruri.' }), {
      doc: 'What a nonce given to a REGISTER is bound to (Kamailio auth_checks_register): the source IP, the Call-ID, the Request-URI. A bound nonce is refused (new challenge) when used with another.',
      default: [],
    }),
    auth_checks_no_dlg: t.list(t.enum(BINDINGS, { doc: 'src_ip, call_id or ruri.' }), {
      doc: 'The same for other out-of-dialog requests (Kamailio auth_checks_no_dlg).',
      default: [],
    }),
    check_identity: t.bool({ doc: 'The authenticated user must be the To user (REGISTER) or the From user (other requests) of its domain, like Kamailio auth_check(..., 1); a mismatch gets 403.', default: true }),
    challenge_methods: t.list(t.string({ doc: 'A SIP method.', nonEmpty: true, pattern: /^[A-Z]{2,16}$/, patternDoc: 'an upper-case method name' }), {
      doc: 'Initial (out-of-dialog) requests from a local domain\'s users that must authenticate (proxy_challenge, 407). REGISTER is always challenged; in-dialog requests, ACK and CANCEL never.',
      default: ['INVITE', 'MESSAGE', 'SUBSCRIBE', 'REFER', 'PUBLISH'],
    }),
    trusted: t.list(
      t.string({ doc: 'An IP address or CIDR.', nonEmpty: true, check: (v) => { const p = parseCidr(v); return typeof p === 'string' ? p : undefined; } }),
      { doc: 'Sources never challenged (peers, trunks). The dispatcher gateways and the permissions trusted group are never challenged either.', default: [] },
    ),
  },
  {
    doc: 'Digest authentication (Kamailio auth, auth_db): subscribers in the shared state, stateless nonces valid on every node, nc replay refused cluster-wide.',
    checks: [
      (c) => {
        const p: SectionProblem[] = [];
        if (!c.enabled) return p;
        if (c.secret === undefined || c.secret.length < MIN_SECRET_CHARS) p.push({ path: 'secret', message: `auth needs a secret of at least ${MIN_SECRET_CHARS} chars, the same on every node` });
        for (const [i, s] of c.previous_secrets.entries()) if (s.length < MIN_SECRET_CHARS) p.push({ path: `previous_secrets[${i}]`, message: `needs at least ${MIN_SECRET_CHARS} chars` });
        if (c.domains.length === 0) p.push({ path: 'domains', message: 'auth needs at least one local domain (the realms it serves)' });
        return p;
      },
    ],
  },
);

export type AuthConfig = InferSchema<typeof authSection.fields>;

export const authBlockSection = defineSection(
  'auth_block',
  {
    enabled: t.bool({ doc: 'Count failed authentications and block (the Kamailio seed\'s htable auth_block_list). Acts only when auth is enabled.', default: true }),
    mode: t.enum(['user', 'ip', 'both'], {
      doc: 'What is counted and blocked: "user" (the username, as the seed config: a guesser locks the user out on every IP), "ip" (the source address: the user elsewhere keeps working), "both" (either trips).',
      default: 'user',
    }),
    failures: t.int({ doc: 'Failed authentications (wrong password, unknown user) within window that block.', min: 1, max: 1_000_000, default: 30 }),
    window: t.duration({ doc: 'The counting window, from the first failure.', min: 1000, default: 300_000 }),
    block_time: t.duration({ doc: 'How long a block lasts: "403 Blocked Forbidden" for the request that trips it, "403 Already Blocked Forbidden" after. Lift earlier with auth.unblock.', min: 1000, default: 900_000 }),
  },
  { doc: 'Brute-force blocking of digest authentication, cluster-wide (a block holds on every node within milliseconds).' },
);

export type AuthBlockConfig = InferSchema<typeof authBlockSection.fields>;
