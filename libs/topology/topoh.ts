// topoh mode: stateless hiding with the libs/topoh codec. Every value is
// toggled on its way out: what came in clear from one side leaves sealed,
// what comes back sealed is opened. Nothing is stored, so any node with the
// same mask_key handles any message of any dialog, across restarts.
import type { Step } from '#libs/pipeline';
import { hopForUri, type RequestContext, type TopologyHiding } from '#libs/proxy';
import type { SipMessage } from '#libs/sip';
import { detachedCopy } from '#libs/strings';
import type { TopohCodec } from '#libs/topoh';
import type { ListenSocketInfo } from '#libs/transport';
import { mapUris, namesSocket, rewriteSdp, setVias, ValueMemo, type SdpMode } from './headers.ts';
import { TOPOLOGY_REJECTIONS } from './rejections.ts';

const BAD_TOKEN = TOPOLOGY_REJECTIONS.badToken.code;

/** What the restore step learnt, for hideRequest. */
interface TopohNote {
  /** the Call-ID the outgoing copy carries (mask_callid) */
  callId?: string;
}

export interface TopohHidingOptions {
  codec: TopohCodec;
  sdp: SdpMode;
}

export function createTopohHiding({ codec, sdp }: TopohHidingOptions): TopologyHiding {
  const { maskCallId, vparamName, uparamPrefix } = codec.config;
  const vparamKey = vparamName.toLowerCase();
  /** cheap shape check before parsing: our prefix appears in the text */
  const maybeSealed = (uri: string) => uri.includes(uparamPrefix) && codec.isEncodedUri(uri);

  /** Seal a URI that came in clear; leave one already sealed as it is. */
  const seal = (uri: string) => (maybeSealed(uri) ? undefined : codec.encodeUri(uri));

  /**
   * A Record-Route entry on its way toward the side `toward` faces: ours for
   * that side stays readable (it is the address that side must reach), one we
   * sealed earlier for the other side is opened, anything else is sealed.
   */
  const toggleRecordRoute = (toward: ListenSocketInfo) => (uri: string): string | undefined => {
    // sealed first: a sealed URI carries mask_ip, which may well be this very socket's address
    if (maybeSealed(uri)) return codec.decodeUri(uri);
    if (namesSocket(uri, toward)) return undefined;
    return codec.encodeUri(uri);
  };

  /** Call-ID toward the other side: sealed when it came clear, opened when it came sealed. */
  const toggleCallId = (callId: string): string | undefined =>
    codec.isEncodedCallId(callId) ? codec.decodeCallId(callId) : codec.encodeCallId(callId);

  // every mapping below is deterministic (synthetic nonces), so whole header values are memoised;
  // Record-Route mappings depend on the socket the message leaves by: one memo per socket
  const contactMemo = new ValueMemo();
  const rrMemos = new Map<string, { request: ValueMemo; response: ValueMemo }>();
  const rrMemo = (sock: ListenSocketInfo) => {
    let m = rrMemos.get(sock.id);
    if (m === undefined) rrMemos.set(sock.id, (m = { request: new ValueMemo(), response: new ValueMemo() }));
    return m;
  };

  const restore: Step<RequestContext> = {
    name: 'topoh-restore',
    run(ctx) {
      const msg = ctx.msg;
      if (maybeSealed(msg.uri)) {
        const uri = codec.decodeUri(msg.uri);
        if (uri === undefined) return { reject: BAD_TOKEN, detail: 'request-uri' };
        msg.setUri(uri);
        // sent straight to a Contact we sealed (no route set, or a REGISTERed contact): that URI is the next hop
        if (!msg.hasHeader('route')) {
          const hop = hopForUri(msg.requestUri(), uri);
          if (hop === undefined) return { reject: BAD_TOKEN, detail: 'request-uri not routable' };
          ctx.hops = [hop];
        }
      }
      let bad = false;
      mapUris(msg, 'route', (uri) => {
        if (!maybeSealed(uri)) return undefined;
        const open = codec.decodeUri(uri);
        if (open === undefined) bad = true;
        return open;
      });
      if (bad) return { reject: BAD_TOKEN, detail: 'route' };
      if (maskCallId) {
        // kept aside: local replies to this request must carry the Call-ID the sender used
        const callId = toggleCallId(msg.callId() ?? '');
        if (callId === undefined) return { reject: BAD_TOKEN, detail: 'call-id' };
        ctx.hidden = { callId } satisfies TopohNote;
      }
      return 'next';
    },
  };

  function hideRequest(ctx: RequestContext, req: SipMessage, out: ListenSocketInfo): void {
    // the whole Via stack (ours on top) sealed into our one Via: a stray response opens it on any node
    const vias = req.headerValues('via');
    setVias(req, [vias[0]]);
    // a 2xx ACK (the only ACK relayed) gets no response, so nothing would ever open its token:
    // it leaves with our Via alone (its branch a hash of the caller's), one seal a call saved
    if (req.method !== 'ACK') req.setTopViaParam(vparamName, codec.encodeViaParam(vias));
    mapUris(req, 'contact', seal, contactMemo);
    mapUris(req, 'record-route', (uri) => (namesSocket(uri, out) ? undefined : seal(uri)), rrMemo(out).request);
    const note = ctx.hidden as TopohNote | undefined;
    if (note?.callId !== undefined) req.setHeader('Call-ID', note.callId);
    rewriteSdp(req, sdp, out.advertisedHost);
  }

  function hideResponse(ctx: RequestContext, res: SipMessage): void {
    // the stack below ours is the request's as it came in: no need to open the token
    setVias(res, ctx.msg.headerValues('via'));
    if (maskCallId) res.setHeader('Call-ID', ctx.msg.callId() ?? '');
    hideResponseFields(res, ctx.local);
  }

  /**
   * hideResponse with only what it reads of the request: copies of its Via
   * values and Call-ID (slices of them would keep its whole text alive), and
   * the socket. The relay takes it
   * when it has its final outcome and lets the request context go: an
   * ended call lingers seconds for 2xx retransmissions, and every young
   * collection copied the parsed request with it.
   */
  function responseHider(ctx: RequestContext): (res: SipMessage) => void {
    const callId = detachedCopy(ctx.msg.callId() ?? '');
    const vias = ctx.msg.headerValues('via').map(detachedCopy);
    const local = ctx.local;
    return (res) => {
      setVias(res, vias);
      if (maskCallId) res.setHeader('Call-ID', callId);
      hideResponseFields(res, local);
    };
  }

  function hideResponseFields(res: SipMessage, toward: ListenSocketInfo): void {
    mapUris(res, 'contact', seal, contactMemo);
    mapUris(res, 'record-route', toggleRecordRoute(toward), rrMemo(toward).response);
    rewriteSdp(res, sdp, toward.advertisedHost);
  }

  function restoreStray(res: SipMessage, local: ListenSocketInfo): boolean {
    const sealed = res.topVia()?.params.get(vparamKey);
    const vias = typeof sealed === 'string' ? codec.decodeViaParam(sealed) : undefined;
    if (vias === undefined) return false;
    setVias(res, vias);
    if (maskCallId) {
      const callId = toggleCallId(res.callId() ?? '');
      if (callId === undefined) return false;
      res.setHeader('Call-ID', callId);
    }
    hideResponseFields(res, local);
    return true;
  }

  const otherLegCallId = (msg: SipMessage) => (maskCallId ? toggleCallId(msg.callId() ?? '') : undefined);
  return { mode: 'topoh', restore, hideRequest, hideResponse, responseHider, restoreStray, otherLegCallId };
}
