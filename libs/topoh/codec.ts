// The topoh codec: pure, stateless, keyed. What the inside wrote (Via stack,
// Contact / Record-Route URIs, Call-ID) leaves sealed in a token that only a
// node holding mask_key can open; nothing is stored, so any node decodes what
// another encoded and a restart loses nothing.
import { parseUri, parseVia } from '#libs/sip';
import { detachedCopy } from '#libs/strings';
import { resolveTopohConfig, type TopohConfig, type TopohOptions } from './config.ts';
import { packedMaxBytes, packListInto, unpackList } from './pack.ts';
import { createSealer } from './seal.ts';

export interface TopohCodec {
  readonly config: TopohConfig;
  /** the Via stack (raw values, top first) sealed into one base64url token */
  encodeVias(vias: readonly string[]): string;
  /** undefined for tampered, foreign-key or other-kind tokens */
  decodeVias(token: string): string[] | undefined;
  /** vparamPrefix + token: the value for the vparamName (branch) param of the one Via sent out */
  encodeViaParam(vias: readonly string[]): string;
  /** the Via stack from such a param value; undefined when not ours */
  decodeViaParam(value: string): string[] | undefined;
  /** the Via stack from a whole Via value carrying our param; undefined when not ours */
  decodeMaskedVia(via: string): string[] | undefined;
  /** a Contact / Record-Route URI sealed into `sip:<maskIp>;<keep params>;<uparamName>=<uparamPrefix><token>` */
  encodeUri(uri: string): string;
  /** the original URI text; undefined when the URI carries no valid token of ours */
  decodeUri(uri: string): string | undefined;
  /** shape check only (no crypto): the URI carries our uparam with our prefix */
  isEncodedUri(uri: string): boolean;
  /** callIdPrefix + token (same output for the same Call-ID on every node); identity when maskCallId is off */
  encodeCallId(callId: string): string;
  /** the original Call-ID; identity when maskCallId is off; undefined for anything else not ours */
  decodeCallId(value: string): string | undefined;
  /** shape check only: the value starts with callIdPrefix */
  isEncodedCallId(value: string): boolean;
}

export function createTopohCodec(opts: TopohOptions): TopohCodec {
  const config = resolveTopohConfig(opts);
  const sealer = createSealer(config.maskKey, config.tokenVersion);
  // Call-IDs are sealed in format 1 whatever token_version says: a dialog's
  // masked Call-ID must be the same on every node for its whole life, through
  // a rolling upgrade and a token_version change (another format would give
  // the far end another Call-ID mid-dialog). Both views open both formats.
  const callIdSealer = sealer.as(1);
  const { uparamName, uparamPrefix, vparamName, vparamPrefix, callIdPrefix, maskCallId, nonce, keepUriParams } = config;
  const uparamKey = uparamName.toLowerCase();
  const vparamKey = vparamName.toLowerCase();

  const sealVias = (vias: readonly string[]) => sealer.sealWith('via', packedMaxBytes(vias), (buf, at) => packListInto(vias, buf, at), nonce);
  const decodeVias = (token: string): string[] | undefined => {
    const plain = sealer.open('via', token);
    return plain === undefined ? undefined : unpackList(plain);
  };
  const decodeViaParam = (value: string): string[] | undefined =>
    value.startsWith(vparamPrefix) ? decodeVias(value.slice(vparamPrefix.length)) : undefined;

  /** the token inside our uparam, or undefined */
  const uriToken = (uri: string): string | undefined => {
    const parsed = parseUri(uri);
    if (parsed === undefined || parsed.scheme === 'tel') return undefined;
    const v = parsed.params.get(uparamKey);
    return typeof v === 'string' && v.startsWith(uparamPrefix) ? v.slice(uparamPrefix.length) : undefined;
  };

  /** sip:<maskIp>;<kept params>;<uparam>=<prefix><token> for a URI (see encodeUri) */
  const encodeUriText = (uri: string): string => {
    // The user part stays inside the token, not in clear: internal users
    // are often extensions, device ids or GRUUs that name the inside, and
    // the far end only needs an opaque target that routes back to us.
    const parsed = parseUri(uri);
    let out = (parsed?.scheme === 'sips' ? 'sips:' : 'sip:') + config.maskIp;
    if (parsed !== undefined) {
      for (const name of keepUriParams) {
        if (!parsed.params.has(name)) continue;
        const v = parsed.params.get(name);
        out += v === null || v === undefined ? ';' + name : ';' + name + '=' + v;
      }
    }
    return out + ';' + uparamName + '=' + uparamPrefix + sealer.sealText('uri', uri, nonce);
  };
  // Contacts and Record-Routes repeat (the same gateway, the same phone, call after call):
  // with synthetic nonces a URI always seals to the same token, so whole URI texts are
  // memoised both ways in small bounded maps and a repeated URI costs one Map lookup.
  // Only URIs that opened are remembered, so a forged one is checked every time.
  const maskedUris = new BoundedMap(URI_CACHE_SIZE);
  const unmaskedUris = new BoundedMap(URI_CACHE_SIZE);
  // Call-IDs likewise: every request of a dialog (INVITE, ACK, BYE, re-INVITEs) maps
  // the same Call-ID, each one a HMAC plus an AES-GCM context (~5-10 µs) otherwise.
  const maskedCallIds = new BoundedMap(URI_CACHE_SIZE);
  const unmaskedCallIds = new BoundedMap(URI_CACHE_SIZE);

  return {
    config,
    encodeVias: sealVias,
    decodeVias,
    encodeViaParam: (vias) => vparamPrefix + sealVias(vias),
    decodeViaParam,
    decodeMaskedVia(via) {
      const v = parseVia(via)?.params.get(vparamKey);
      return typeof v === 'string' ? decodeViaParam(v) : undefined;
    },
    encodeUri(uri) {
      if (nonce === 'random') return encodeUriText(uri);
      let masked = maskedUris.get(uri);
      if (masked === undefined) {
        masked = encodeUriText(uri);
        maskedUris.set(uri, masked);
      }
      return masked;
    },
    decodeUri(uri) {
      let open = unmaskedUris.get(uri);
      if (open === undefined) {
        const token = uriToken(uri);
        open = token === undefined ? undefined : sealer.open('uri', token)?.toString('utf8');
        if (open !== undefined) unmaskedUris.set(uri, open);
      }
      return open;
    },
    isEncodedUri: (uri) => unmaskedUris.get(uri) !== undefined || uriToken(uri) !== undefined,
    encodeCallId(callId) {
      if (!maskCallId) return callId;
      // Always synthetic: every node and every message of the dialog must
      // show the far end one and the same Call-ID.
      let masked = maskedCallIds.get(callId);
      if (masked === undefined) {
        masked = callIdPrefix + callIdSealer.sealText('callid', callId, 'synthetic');
        maskedCallIds.set(callId, masked);
      }
      return masked;
    },
    decodeCallId(value) {
      if (!maskCallId) return value;
      let open = unmaskedCallIds.get(value);
      if (open === undefined) {
        if (!value.startsWith(callIdPrefix)) return undefined;
        open = sealer.open('callid', value.slice(callIdPrefix.length))?.toString('utf8');
        if (open !== undefined) unmaskedCallIds.set(value, open);
      }
      return open;
    },
    isEncodedCallId: (value) => value.startsWith(callIdPrefix),
  };
}

const URI_CACHE_SIZE = 4096;

/**
 * A Map that forgets everything when full: cheap, bounded, and good enough
 * for a hot set. Keys and values come out of messages (a masked URI keeps
 * the original's parameters) and live seconds to minutes here: each is
 * stored as its own copy, not a slice that would keep its whole message
 * text alive (4,096 entries held as many messages).
 */
class BoundedMap {
  private readonly map = new Map<string, string>();
  constructor(private readonly max: number) {}
  get(k: string): string | undefined {
    return this.map.get(k);
  }
  set(k: string, v: string): void {
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(detachedCopy(k), detachedCopy(v));
  }
}
