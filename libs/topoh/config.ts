// topoh options (names follow Kamailio's topoh modparams), checked once and
// frozen. Every problem is reported at once, each naming the option to fix.
import { parseUri } from '#libs/sip';
import { TOKEN_VERSIONS, type NonceMode, type TokenVersion } from './seal.ts';

export interface TopohOptions {
  /** mask_key: the shared secret; every node of the cluster needs the same one. At least 16 chars. */
  maskKey: string;
  /** mask_ip: host[:port] shown in masked Contact / Record-Route URIs instead of the real one. */
  maskIp: string;
  /** mask_callid: also encode the Call-ID (default false: Call-ID passes unchanged). */
  maskCallId?: boolean;
  /** uparam_name: URI parameter carrying the sealed URI (default 'line'). */
  uparamName?: string;
  /** uparam_prefix: prefix of that parameter's value (default 'sr-'). */
  uparamPrefix?: string;
  /** vparam_name: Via parameter carrying the sealed Via stack (default 'branch'). */
  vparamName?: string;
  /** vparam_prefix: prefix of that value; must start with the RFC 3261 magic cookie (default 'z9hG4bKsr-'). */
  vparamPrefix?: string;
  /** callid_prefix: prefix marking an encoded Call-ID (default '!!:'). */
  callIdPrefix?: string;
  /**
   * Nonce for Via and URI tokens (Call-IDs are always synthetic). 'synthetic'
   * (default): same input, same token — retransmissions and CANCEL keep their
   * branch, REGISTER refreshes keep one binding. 'random': unlinkable tokens.
   */
  nonce?: NonceMode;
  /**
   * The format of the Via and URI tokens this node writes (every node opens
   * both; Call-IDs are always 1, see codec.ts): 2 (default, AES-256-CTR with
   * a synthetic IV over one reused AES context) or 1 (AES-256-GCM, the format
   * of builds that open only 1: for a rolling upgrade from them, then 2).
   */
  tokenVersion?: TokenVersion;
  /** URI params copied in clear onto the masked URI (default ['lr', 'transport']: loose routing and transport say nothing about the inside). */
  keepUriParams?: readonly string[];
}

export type TopohConfig = Readonly<Required<TopohOptions>>;

export const TOPOH_DEFAULTS = Object.freeze({
  maskCallId: false,
  uparamName: 'line',
  uparamPrefix: 'sr-',
  vparamName: 'branch',
  vparamPrefix: 'z9hG4bKsr-',
  callIdPrefix: '!!:',
  nonce: 'synthetic' as NonceMode,
  tokenVersion: 2 as TokenVersion,
  keepUriParams: Object.freeze(['lr', 'transport']) as readonly string[],
});

export const MIN_MASK_KEY_CHARS = 16;
/** RFC 3261 token (param names, Via branch values) */
const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;
/** RFC 3261 paramchar without escapes (uri-parameter values) */
const PARAMCHAR = /^[A-Za-z0-9\-_.!~*'()[\]/:&+$]*$/;
/** RFC 3261 word (Call-ID) */
const WORD = /^[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}]*$/;

export function resolveTopohConfig(opts: TopohOptions): TopohConfig {
  const c = { ...TOPOH_DEFAULTS, ...stripUndefined(opts) } as Required<TopohOptions>;
  const problems: string[] = [];
  if (typeof c.maskKey !== 'string' || c.maskKey.length < MIN_MASK_KEY_CHARS) {
    problems.push(`topoh.maskKey: need a secret of at least ${MIN_MASK_KEY_CHARS} chars`);
  }
  const host = typeof c.maskIp === 'string' ? parseUri('sip:' + c.maskIp) : undefined;
  if (host === undefined || host.user !== undefined || host.params.size > 0 || host.headers !== undefined) {
    problems.push(`topoh.maskIp: '${String(c.maskIp)}' is not a host[:port] (e.g. 198.51.100.1 or [2001:db8::1]:5060)`);
  }
  if (!TOKEN.test(c.uparamName)) problems.push(`topoh.uparamName: '${c.uparamName}' is not a SIP token`);
  if (!PARAMCHAR.test(c.uparamPrefix)) problems.push(`topoh.uparamPrefix: '${c.uparamPrefix}' has chars not allowed in a URI parameter`);
  if (!TOKEN.test(c.vparamName)) problems.push(`topoh.vparamName: '${c.vparamName}' is not a SIP token`);
  if (!TOKEN.test(c.vparamPrefix) || !c.vparamPrefix.startsWith('z9hG4bK')) {
    problems.push(`topoh.vparamPrefix: '${c.vparamPrefix}' must be a SIP token starting with z9hG4bK`);
  }
  if (c.callIdPrefix.length === 0 || !WORD.test(c.callIdPrefix)) {
    problems.push(`topoh.callIdPrefix: '${c.callIdPrefix}' must be non-empty Call-ID word chars`);
  }
  if (c.nonce !== 'synthetic' && c.nonce !== 'random') problems.push(`topoh.nonce: must be 'synthetic' or 'random'`);
  if (!TOKEN_VERSIONS.includes(c.tokenVersion)) problems.push(`topoh.tokenVersion: must be ${TOKEN_VERSIONS.join(' or ')}`);
  for (const p of c.keepUriParams) {
    if (!TOKEN.test(p) || p.toLowerCase() === c.uparamName.toLowerCase()) {
      problems.push(`topoh.keepUriParams: '${p}' must be a SIP token other than uparamName`);
    }
  }
  if (problems.length > 0) throw new Error('invalid topoh config:\n  ' + problems.join('\n  '));
  return Object.freeze({ ...c, keepUriParams: Object.freeze(c.keepUriParams.map((p) => p.toLowerCase())) });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
