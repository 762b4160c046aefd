// topos mode: stateful hiding (Kamailio topos). What each side wrote that
// would reveal it (Via stack, Record-Route set, Contact, Call-ID) is kept in
// the shared dialog store (Redis in a cluster) under a token; the other side
// sees one Via of ours, no Record-Route, and a Contact of ours carrying the
// token, so its in-dialog requests come back to the cluster, where any node
// restores the route from the store.
//
// Sides: "a" sent the dialog-creating request, "b" answered it. Our Contact
// URI names the side it leads to: sip:btpsh-<token>@node reaches b.
import { createHash } from 'node:crypto';
import type { Step, StepVerdict } from '#libs/pipeline';
import { hopForUri, type RequestContext, type TopologyHiding } from '#libs/proxy';
import type { SipMessage } from '#libs/sip';
import { detachedCopy } from '#libs/strings';
import type { DialogStore } from '#libs/state';
import type { ListenSocketInfo } from '#libs/transport';
import { rewriteSdp, setValues, setVias, socketUriPart, uriTexts, type SdpMode } from './headers.ts';
import { TOPOLOGY_REJECTIONS } from './rejections.ts';

type Side = 'a' | 'b';

/** What one side's UA wrote: its Contact URIs and the Record-Route set its proxies added. */
interface SideRecord {
  contact: string[];
  rr: string[];
}

/** The stored dialog (JSON). b is per To-tag: a forked INVITE may be answered by several. */
interface DialogData {
  [k: string]: unknown;
  v: 1;
  a: SideRecord & { callId: string };
  b: Record<string, SideRecord>;
  /** the Call-ID side b sees */
  bCallId: string;
  /** a 2xx was seen: the record lives dialog_expire, not branch_expire */
  confirmed: boolean;
}

/** The first INVITE's Via stack and Call-ID, for a 2xx retransmission reaching a node without the transaction. */
interface BranchData {
  [k: string]: unknown;
  vias: string[];
  callId: string;
}

/** What the restore / prepare steps learnt, for the way out. */
interface ToposNote {
  token: string;
  /** side the request comes from (its Contact leads back there) */
  sender: Side;
  /** the Call-ID the outgoing copy carries */
  outCallId: string;
  dialog?: DialogData;
  /** side b's tag of this dialog, once known */
  bTag?: string;
}

const USER_RE = /^([ab])tpsh-(.*)$/;
const TOKEN_RE = /^[0-9a-f]{32}$/;
const CALLID_PREFIX = 'tpsc-';
/** a BYE leaves the record this long (64*T1, its transaction's life): a retransmission through any node still routes */
const BYE_LINGER_MS = 32_000;
const DIALOG_CREATING = new Set(['INVITE', 'SUBSCRIBE', 'REFER', 'NOTIFY']);
/** requests and responses whose Contact replaces the remote target (RFC 3261 §12.2, RFC 3311, RFC 6665) */
const TARGET_REFRESH = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);

/**
 * The dialog token: the same on every node for the same dialog (Call-ID and
 * caller tag), so retransmissions agree. Hex, because it becomes a URI user
 * part: base64url's "--" would look like an SQL comment to secfilter.
 */
export function toposToken(callId: string, fromTag: string): string {
  return createHash('sha256').update(callId).update('\0').update(fromTag).digest('hex').slice(0, 32);
}

export interface ToposHidingOptions {
  dialogs: DialogStore;
  maskCallId: boolean;
  sdp: SdpMode;
  branchExpireMs: number;
  dialogExpireMs: number;
}

export function createToposHiding(o: ToposHidingOptions): TopologyHiding {
  const { dialogs, maskCallId, sdp, branchExpireMs, dialogExpireMs } = o;
  const rej = TOPOLOGY_REJECTIONS;

  const contactFor = (leadsTo: Side, token: string, sock: ListenSocketInfo) => `<sip:${leadsTo}tpsh-${token}@${socketUriPart(sock)}>`;
  // (copies: a dialog record outlives its messages, in the relay of a lingering call and in `answered`)
  const sideOf = (msg: SipMessage): SideRecord => ({ contact: uriTexts(msg, 'contact').map(detachedCopy), rr: msg.headerValues('record-route').map(detachedCopy) });
  const save = (token: string, d: DialogData) => dialogs.put(token, d, { branchExpireMs, dialogExpireMs: d.confirmed ? dialogExpireMs : branchExpireMs });
  const answered = new AnsweredDialogs();

  /** An in-dialog request to one of our Contacts: the route toward the side it leads to, from the store. */
  function restoreInDialog(ctx: RequestContext, target: Side, token: string): StepVerdict | Promise<StepVerdict> {
    const msg = ctx.msg;
    // the ACK of a 2xx this node relayed: that 2xx set the route, no read needed
    const known = msg.method === 'ACK' && target === 'b' ? answered.take(token, msg.toTag(), msg.cseq()?.seq) : undefined;
    if (known !== undefined) return routeInDialog(ctx, target, token, known);
    // one round trip: read, and renew (or, for a BYE, cut short) in the same call
    const lookup = msg.method === 'ACK' ? dialogs.get(token) : dialogs.getAndExpire(token, msg.method === 'BYE' ? BYE_LINGER_MS : dialogExpireMs);
    return lookup.then((stored): StepVerdict | Promise<StepVerdict> => {
      if (stored === null || typeof stored === 'string') return { reject: rej.unknownDialog.code, detail: 'no dialog for the token' };
      return routeInDialog(ctx, target, token, stored as DialogData);
    }, () => ({ reject: rej.backendDown.code, detail: 'dialog lookup' }));
  }

  function routeInDialog(ctx: RequestContext, target: Side, token: string, dialog: DialogData): StepVerdict | Promise<StepVerdict> {
    const msg = ctx.msg;
    const sender: Side = target === 'a' ? 'b' : 'a';
    const bTag = sender === 'a' ? msg.toTag() : msg.fromTag();
    const bTags = Object.keys(dialog.b);
    const b = bTag !== undefined ? dialog.b[bTag] : undefined;
    const dest = target === 'a' ? dialog.a : (b ?? (bTags.length === 1 ? dialog.b[bTags[0]] : undefined));
    if (dest === undefined || dest.contact.length === 0) return { reject: rej.unknownDialog.code, detail: 'no contact of the far side' };
    // the route set toward the far side: a's as its request carried it, b's reversed (RFC 3261 §12.1.2)
    const routes = target === 'a' ? dest.rr : [...dest.rr].reverse();
    msg.setUri(dest.contact[0]);
    setValues(msg, 'route', routes);
    const firstRoute = msg.routes()[0];
    const hop = firstRoute !== undefined ? hopForUri(firstRoute.uri, firstRoute.uriText) : hopForUri(msg.requestUri(), msg.uri);
    if (hop === undefined) return { reject: rej.unknownDialog.code, detail: 'stored route unusable' };
    ctx.hops = [hop];
    ctx.hidden = { token, sender, outCallId: target === 'a' ? dialog.a.callId : dialog.bCallId, dialog, bTag } satisfies ToposNote;
    // a target refresh from the sender replaces its Contact (the lookup above already renewed the record)
    const senderSide = sender === 'a' ? dialog.a : b;
    if (TARGET_REFRESH.has(msg.method) && senderSide !== undefined && msg.hasHeader('contact')) {
      const contact = uriTexts(msg, 'contact');
      if (contact.length > 0 && contact.join() !== senderSide.contact.join()) {
        senderSide.contact = contact.map(detachedCopy);
        return save(token, dialog).then((): StepVerdict => 'next', () => ({ reject: rej.backendDown.code, detail: 'dialog store' }));
      }
    }
    return 'next';
  }

  const restore: Step<RequestContext> = {
    name: 'topos-restore',
    run(ctx) {
      const msg = ctx.msg;
      const m = USER_RE.exec(msg.requestUri()?.user ?? '');
      if (m !== null) {
        if (!ctx.inDialog || !TOKEN_RE.test(m[2])) return { reject: rej.unknownDialog.code, detail: 'not an in-dialog request with a topos token' };
        return restoreInDialog(ctx, m[1] as Side, m[2]);
      }
      if (ctx.inDialog) return 'next'; // a dialog that did not go through topos: routed by its Route set as usual
      const callId = msg.callId() ?? '';
      const token = toposToken(callId, msg.fromTag() ?? '');
      ctx.hidden = { token, sender: 'a', outCallId: maskCallId ? CALLID_PREFIX + token : detachedCopy(callId) } satisfies ToposNote;
      return 'next';
    },
  };

  /** Dialog-creating requests store side a before they leave (one round trip with the branch record, sent with the dispatcher's pin). */
  const prepare: Step<RequestContext> = {
    name: 'topos-store',
    run(ctx) {
      const note = ctx.hidden as ToposNote | undefined;
      const msg = ctx.msg;
      if (note === undefined || note.dialog !== undefined || ctx.inDialog || !DIALOG_CREATING.has(msg.method)) return 'next';
      const sideA = sideOf(msg);
      const dialog: DialogData = { v: 1, a: { contact: sideA.contact, rr: sideA.rr, callId: detachedCopy(msg.callId() ?? '') }, b: perTag(), bCallId: note.outCallId, confirmed: false };
      note.dialog = dialog;
      const branch: BranchData = { vias: msg.headerValues('via'), callId: dialog.a.callId };
      // waited for by the settle step, with the dispatcher's pin when there is one: one write
      (ctx.pending ??= []).push(dialogs
        .put(note.token, dialog, { branchExpireMs, dialogExpireMs: branchExpireMs, branch: { branchId: branchId(msg.cseq()?.seq ?? 0), data: branch } })
        .then((): StepVerdict => 'next', () => ({ reject: rej.backendDown.code, detail: 'dialog store' })));
      return 'next';
    },
  };

  function hideRequest(ctx: RequestContext, req: SipMessage, out: ListenSocketInfo): void {
    setVias(req, [req.headerValues('via')[0]]);
    req.removeHeader('record-route');
    const note = ctx.hidden as ToposNote | undefined;
    if (note !== undefined) {
      if (req.hasHeader('contact') && req.method !== 'REGISTER') req.setHeader('Contact', contactFor(note.sender, note.token, out));
      if (maskCallId) req.setHeader('Call-ID', note.outCallId);
    } else if (req.hasHeader('contact') && req.method !== 'REGISTER') {
      req.setHeader('Contact', `<sip:${socketUriPart(out)}>`);
    }
    rewriteSdp(req, sdp, out.advertisedHost);
  }

  /** What hiding a response reads of its request (see responseHider). */
  interface RequestView {
    vias: readonly string[];
    callId: string;
    method: string;
    seq: number | undefined;
    inDialog: boolean;
    local: ListenSocketInfo;
    note: ToposNote | undefined;
  }

  const viewOf = (ctx: RequestContext): RequestView => ({
    vias: ctx.msg.headerValues('via'),
    callId: ctx.msg.callId() ?? '',
    method: ctx.msg.method,
    seq: ctx.msg.cseq()?.seq,
    inDialog: ctx.inDialog,
    local: ctx.local,
    note: ctx.hidden as ToposNote | undefined,
  });

  const hideResponse = (ctx: RequestContext, res: SipMessage): void | Promise<void> => hideWith(viewOf(ctx), res);

  /**
   * hideResponse bound to a copy of what it reads of the request (copies of
   * the Vias and Call-ID; the dialog note, whose strings are copies already): the relay lets the request context go at its final
   * outcome, while its call lingers for retransmitted 2xx.
   */
  function responseHider(ctx: RequestContext): (res: SipMessage) => void | Promise<void> {
    const view = viewOf(ctx);
    const kept: RequestView = { vias: view.vias.map(detachedCopy), callId: detachedCopy(view.callId), method: view.method, seq: view.seq, inDialog: view.inDialog, local: view.local, note: view.note };
    return (res) => hideWith(kept, res);
  }

  function hideWith(req: RequestView, res: SipMessage): void | Promise<void> {
    setVias(res, req.vias);
    if (maskCallId) res.setHeader('Call-ID', req.callId);
    const note = req.note;
    const pending = note === undefined ? undefined : learnFromResponse(req, note, res);
    // the far side's Record-Route goes; the requester's own proxies get theirs back, as they
    // sent them, so a record-routing proxy on its side stays in its route set (Kamailio tps_reappend_rr)
    const ownRr = note?.dialog !== undefined && note.sender === 'a' && !req.inDialog ? note.dialog.a.rr : [];
    setValues(res, 'record-route', ownRr);
    if (note !== undefined && res.hasHeader('contact')) res.setHeader('Contact', contactFor(note.sender === 'a' ? 'b' : 'a', note.token, req.local));
    rewriteSdp(res, sdp, req.local.advertisedHost);
    return pending;
  }

  /** What a response tells about the side that answered: b's Contact and route set per tag, a target refresh, the end of the dialog. */
  function learnFromResponse(req: RequestView, note: ToposNote, res: SipMessage): Promise<void> | undefined {
    const { dialog, token } = note;
    if (dialog === undefined) return undefined;
    const status = res.status;
    const method = req.method;
    if (status < 101 || status >= 300 || !TARGET_REFRESH.has(method) || !res.hasHeader('contact')) return undefined;
    // an unreliable 18x opens no early dialog the caller could use (PRACK/UPDATE need 100rel, RFC 3262):
    // nothing to store yet, the 2xx will say it all (one round trip less per call)
    if (status < 200 && !res.hasHeader('rseq')) return undefined;
    const confirm = status >= 200 && !dialog.confirmed;
    if (note.sender === 'a' && !req.inDialog) {
      // the answer to the dialog-creating request: remember this b (one per To-tag when forked)
      const tag = res.toTag();
      if (tag === undefined) return undefined;
      const next = sideOf(res);
      const known = dialog.b[tag];
      if (!confirm && known !== undefined && known.contact.join() === next.contact.join() && known.rr.join() === next.rr.join()) return undefined;
      dialog.b[tag] = next;
      if (status >= 200) {
        dialog.confirmed = true;
        const seq = req.seq;
        return save(token, dialog).then(() => answered.remember(token, tag, seq, dialog));
      }
    } else {
      // a 2xx to a target refresh carries the answering side's new Contact
      const side = note.sender === 'a' ? (note.bTag !== undefined ? dialog.b[note.bTag] : undefined) : dialog.a;
      const contact = uriTexts(res, 'contact');
      if (side === undefined || contact.length === 0 || (!confirm && contact.join() === side.contact.join())) return undefined;
      side.contact = contact.map(detachedCopy);
    }
    if (status >= 200) dialog.confirmed = true;
    return save(token, dialog);
  }

  function restoreStray(res: SipMessage, local: ListenSocketInfo): Promise<boolean> | boolean {
    const callId = res.callId() ?? '';
    const seq = res.cseq();
    if (seq === undefined || seq.method !== 'INVITE') return false;
    const token = callId.startsWith(CALLID_PREFIX) ? callId.slice(CALLID_PREFIX.length) : toposToken(callId, res.fromTag() ?? '');
    return dialogs.getBranch(token, branchId(seq.seq)).then((stored) => {
      if (stored === null || typeof stored === 'string') return false;
      const branch = stored as BranchData;
      setVias(res, [res.headerValues('via')[0], ...branch.vias]);
      res.setHeader('Call-ID', branch.callId);
      res.removeHeader('record-route');
      if (res.hasHeader('contact')) res.setHeader('Contact', contactFor('b', token, local));
      rewriteSdp(res, sdp, local.advertisedHost);
      return true;
    });
  }

  // the Call-ID prepare gives an initial request's relayed copy (line of sender 'a')
  const otherLegCallId = (msg: SipMessage) => (maskCallId ? CALLID_PREFIX + toposToken(msg.callId() ?? '', msg.fromTag() ?? '') : undefined);
  return { mode: 'topos', restore, prepare, hideRequest, hideResponse, responseHider, restoreStray, otherLegCallId };
}

/**
 * Dialogs whose 2xx to the initial INVITE this node relayed, until their ACK
 * arrives (or 64*T1, as long as the 2xx may be retransmitted). The ACK of a
 * 2xx goes to the remote target and route set that 2xx established (RFC 3261
 * §13.2.2.4), which is what the node stored while relaying it: the node that
 * receives the ACK can route it without reading the store. Any other node
 * reads it as for every in-dialog request. Keyed by token, To-tag and CSeq
 * number, so an ACK of another fork's 2xx or of a re-INVITE never matches.
 */
class AnsweredDialogs {
  private readonly byKey = new Map<string, { at: number; dialog: DialogData }>();

  remember(token: string, tag: string, seq: number | undefined, dialog: DialogData): void {
    if (seq === undefined) return;
    const now = Date.now();
    // oldest first (insertion order): drop what waited longer than a 2xx is retransmitted
    for (const [k, v] of this.byKey) {
      if (now - v.at < BYE_LINGER_MS && this.byKey.size < ANSWERED_MAX) break;
      this.byKey.delete(k);
    }
    this.byKey.set(`${token} ${tag} ${seq}`, { at: now, dialog });
  }

  take(token: string, tag: string | undefined, seq: number | undefined): DialogData | undefined {
    if (tag === undefined || seq === undefined || this.byKey.size === 0) return undefined;
    const k = `${token} ${tag} ${seq}`;
    const e = this.byKey.get(k);
    if (e === undefined) return undefined;
    this.byKey.delete(k);
    return Date.now() - e.at < BYE_LINGER_MS ? e.dialog : undefined;
  }
}

/** answered dialogs a node keeps for their ACK at most (200 calls/s × 64*T1 is ~6,400) */
const ANSWERED_MAX = 50_000;

/**
 * An empty record of side b per To-tag. Without a prototype V8 keeps it as a
 * dictionary: a plain {} given a property named by each call's own tag made
 * a new hidden class (and its descriptors, ~290 bytes) per call, kept as
 * long as the dialog record.
 */
function perTag(): Record<string, SideRecord> {
  return Object.create(null) as Record<string, SideRecord>;
}

function branchId(cseq: number): string {
  return `inv-${cseq}`;
}
