// The SipMessage implementation. A parsed message keeps the latin1 string of
// its bytes plus an offsets table (one row per header line); values are sliced
// and parsed only when asked for. Mutations switch the header table to
// "rows" mode where each row is either an untouched original line or a new
// (name, value) pair; serialize() copies untouched runs of original lines
// as they were and recomputes Content-Length.
import type { CSeq, HeaderField, NameAddr, SipMessage, SipUri, Via } from './types.ts';
import * as namesMod from './names.ts';
import * as name_addrMod from './name-addr.ts';
import * as scanMod from './scan.ts';
import * as uriMod from './uri.ts';
import * as viaMod from './via.ts';
import * as bytesMod from './bytes.ts';
import * as headerTextMod from './header-text.ts';

// Module-local copies of imported bindings: under tsx each access to an
// imported binding is a getter call, which is measurable in per-char loops.
const { canonicalKey, isListHeader, prettyName } = namesMod;
const { parseNameAddr } = name_addrMod;
const { TOKEN, hasBareControl, parseUint, skipWsp, splitList, toByteString, topLevelComma, unfold } = scanMod;
const { parseUri } = uriMod;
const { parseVia } = viaMod;
const { writeLatin1 } = bytesMod;
const { parseCSeqValue, setParamText } = headerTextMod;

/** Layout of one row of the offsets table. */
export const F_LINE = 0; // start of the header line (name)
export const F_NAME_END = 1;
export const F_VAL = 2; // value start (after HCOLON and leading whitespace)
export const F_VAL_END = 3; // value end (trailing whitespace trimmed)
export const F_NEXT = 4; // start of the next line (after this line's terminator)
export const F_FOLDED = 5; // 1 when the value spans continuation lines
export const STRIDE = 6;

const EMPTY: Buffer = Buffer.alloc(0);
const NO_ADDED: string[] = [];

// bits of Message.listsMalformed
const LIST_VIA = 1;
const LIST_ROUTE = 2;
const LIST_RR = 4;
const LIST_CONTACT = 8;

/** the list headers whose values validateMessage checks one by one */
export type CheckedList = 'via' | 'route' | 'record-route' | 'contact';

/** What the parser hands to the message; built messages use an empty source. */
export interface WireSource {
  src: string;
  raw: Buffer;
  msgStart: number;
  /** offset of the first header line */
  startNext: number;
  off: number[];
  /** end of the message bytes used (body end) */
  msgEnd: number;
  /** some line ended in LF only or not at all: serialize() rebuilds every line with CRLF */
  bareLf: boolean;
  /** the single Content-Length line equals the body length: the bytes can be reused as-is */
  clExact: boolean;
}

export const NO_SOURCE: WireSource = Object.freeze({
  src: '', raw: EMPTY, msgStart: 0, startNext: 0, off: [], msgEnd: 0, bareLf: false, clExact: false,
}) as WireSource;

export class Message implements SipMessage {
  isRequest: boolean;
  method: string;
  uri: string;
  status: number;
  reason: string;
  body: Buffer;

  private readonly w: WireSource;
  private origBody: Buffer;
  private startDirty: boolean;
  private dirty = false;

  private keys: string[];
  /**
   * null until the first header mutation (row i = original line i). Then per
   * row: >= 0 original line index, < 0 a new line whose name and value are
   * added[~r * 2] and added[~r * 2 + 1].
   */
  private rows: number[] | null;
  private added: string[];

  // caches: undefined = not computed yet, null = absent or malformed
  private cTopVia: Via | null | undefined = undefined;
  private cVias: Via[] | undefined = undefined;
  private cFrom: NameAddr | null | undefined = undefined;
  private cTo: NameAddr | null | undefined = undefined;
  private cCallId: string | null | undefined = undefined;
  private cCSeq: CSeq | null | undefined;
  private cMf: number | null | undefined = undefined;
  private cRoutes: NameAddr[] | undefined = undefined;
  private cRR: NameAddr[] | undefined = undefined;
  private cContacts: NameAddr[] | undefined = undefined;
  /** LIST_* bits: set when that cached list stopped at a malformed value */
  private listsMalformed = 0;
  private cRuri: SipUri | null | undefined = undefined;
  private cCl: number | null | undefined = undefined;
  /**
   * serialize() output while the message is unchanged: a transaction sends a
   * response and then keeps those same bytes for retransmissions, so the
   * second call must not build them again. Cleared by every mutator.
   */
  private cWire: Buffer | undefined = undefined;
  private cWireBody: Buffer = EMPTY;

  constructor(
    w: WireSource,
    isRequest: boolean,
    method: string,
    uri: string,
    status: number,
    reason: string,
    keys: string[],
    body: Buffer,
    cseq: CSeq | undefined,
    /** for built messages: names and values of every row (all new) */
    names?: string[],
    values?: string[],
  ) {
    this.w = w;
    this.isRequest = isRequest;
    this.method = method;
    this.uri = uri;
    this.status = status;
    this.reason = reason;
    this.keys = keys;
    this.body = body;
    this.origBody = body;
    this.cCSeq = cseq;
    if (names !== undefined && values !== undefined) {
      const rows = new Array<number>(keys.length);
      const added = new Array<string>(keys.length * 2);
      for (let i = 0; i < keys.length; i++) {
        rows[i] = ~i;
        added[i * 2] = names[i];
        added[i * 2 + 1] = values[i];
      }
      this.rows = rows;
      this.added = added;
      this.startDirty = true;
      this.dirty = true;
    } else {
      this.rows = null;
      this.added = NO_ADDED;
      this.startDirty = false;
    }
  }

  // ---------------------------------------------------------------- rows

  private valueAt(i: number): string {
    const o = this.rows === null ? i : this.rows[i];
    if (o < 0) return this.added[~o * 2 + 1];
    const b = o * STRIDE;
    const off = this.w.off;
    const v = this.w.src.slice(off[b + F_VAL], off[b + F_VAL_END]);
    return off[b + F_FOLDED] === 1 ? unfold(v) : v;
  }

  private nameAt(i: number): string {
    const o = this.rows === null ? i : this.rows[i];
    if (o < 0) return this.added[~o * 2];
    const b = o * STRIDE;
    return this.w.src.slice(this.w.off[b + F_LINE], this.w.off[b + F_NAME_END]);
  }

  private indexOf(key: string, from = 0): number {
    const keys = this.keys;
    for (let i = from; i < keys.length; i++) if (keys[i] === key) return i;
    return -1;
  }

  private edit(): void {
    this.dirty = true;
    this.cWire = undefined;
    if (this.rows !== null) return;
    const n = this.keys.length;
    const rows = new Array<number>(n);
    for (let i = 0; i < n; i++) rows[i] = i;
    this.rows = rows;
    this.added = [];
  }

  /** store a new line's text and return its row code */
  private addText(name: string, value: string): number {
    const at = this.added.length >> 1;
    this.added.push(name, value);
    return ~at;
  }

  private insertRow(at: number, key: string, name: string, value: string): void {
    this.edit();
    const r = this.addText(name, value);
    insertAt(this.keys, at, key);
    insertAt(this.rows as number[], at, r);
    this.invalidate(key);
  }

  private replaceRow(i: number, name: string, value: string): void {
    this.edit();
    (this.rows as number[])[i] = this.addText(name, value);
    this.invalidate(this.keys[i]);
  }

  private removeRow(i: number): void {
    this.edit();
    const key = this.keys[i];
    removeAt(this.keys, i);
    removeAt(this.rows as number[], i);
    this.invalidate(key);
  }

  private invalidate(key: string): void {
    switch (key) {
      case 'via': this.cTopVia = undefined; this.cVias = undefined; break;
      case 'from': this.cFrom = undefined; break;
      case 'to': this.cTo = undefined; break;
      case 'call-id': this.cCallId = undefined; break;
      case 'cseq': this.cCSeq = undefined; break;
      case 'max-forwards': this.cMf = undefined; break;
      case 'route': this.cRoutes = undefined; break;
      case 'record-route': this.cRR = undefined; break;
      case 'contact': this.cContacts = undefined; break;
      case 'content-length': this.cCl = undefined; break;
    }
  }

  // ---------------------------------------------------------------- raw access

  header(name: string): string | undefined {
    const i = this.indexOf(canonicalKey(name));
    return i < 0 ? undefined : this.valueAt(i);
  }

  headerValues(name: string): string[] {
    return this.valuesOf(canonicalKey(name));
  }

  private valuesOf(key: string): string[] {
    const out: string[] = [];
    const list = isListHeader(key);
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== key) continue;
      if (list) splitList(this.valueAt(i), out);
      else out.push(this.valueAt(i));
    }
    return out;
  }

  hasHeader(name: string): boolean {
    return this.indexOf(canonicalKey(name)) >= 0;
  }

  headerKeys(): readonly string[] {
    return this.keys;
  }

  /** fields() without an object per line: the count, then key and value by index (wire order) */
  fieldCount(): number {
    return this.keys.length;
  }

  fieldKey(i: number): string {
    return this.keys[i];
  }

  fieldValue(i: number): string {
    return this.valueAt(i);
  }

  fields(): readonly HeaderField[] {
    const out: HeaderField[] = [];
    for (let i = 0; i < this.keys.length; i++) out.push({ key: this.keys[i], name: this.nameAt(i), value: this.valueAt(i) });
    return out;
  }

  /**
   * Name of the first header whose value holds a control character other
   * than HT (RFC 3261 TEXT-UTF8char / LWS), or undefined. Scans values in
   * place: no field objects or value strings per header. CR and LF inside an
   * original line's value range are fold breaks (a bare CR is a parse error).
   */
  headerWithControlChar(): string | undefined {
    const keys = this.keys;
    const rows = this.rows;
    const src = this.w.src;
    const off = this.w.off;
    // Usually no original line holds one: one native regex pass over the
    // original header block says so, instead of a JS loop per value. Names
    // and line breaks there are control-free or parse errors, so a control
    // char in the block is in some value (then scan row by row to name it).
    const originalsClean = off.length === 0 || !CONTROL_IN_BLOCK.test(src.slice(this.w.startNext, off[off.length - STRIDE + F_NEXT]));
    for (let i = 0; i < keys.length; i++) {
      const o = rows === null ? i : rows[i];
      if (o >= 0 && originalsClean) continue;
      if (o < 0) {
        const v = this.added[~o * 2 + 1];
        if (hasControl(v, 0, false) && hasBareControl(v, 0, v.length, false)) return this.nameAt(i);
        continue;
      }
      const b = o * STRIDE;
      if (hasControlIn(src, off[b + F_VAL], off[b + F_VAL_END])) return this.nameAt(i);
    }
    return undefined;
  }

  // ---------------------------------------------------------------- typed access

  requestUri(): SipUri | undefined {
    if (!this.isRequest) return undefined;
    if (this.cRuri === undefined) this.cRuri = parseUri(this.uri) ?? null;
    return this.cRuri ?? undefined;
  }

  topVia(): Via | undefined {
    if (this.cTopVia === undefined) {
      const i = this.indexOf('via');
      if (i < 0) this.cTopVia = null;
      else {
        const v = this.valueAt(i);
        const c = topLevelComma(v, 0, v.length);
        this.cTopVia = parseVia(c === v.length ? v : v.slice(0, c)) ?? null;
      }
    }
    return this.cTopVia ?? undefined;
  }

  /** every Via value in order; stops at the first malformed one (validateMessage reports it) */
  vias(): Via[] {
    if (this.cVias === undefined) {
      const values = this.valuesOf('via');
      // the first value is the one topVia() parses (when that parses, splitList kept it
      // as values[0]): reuse it rather than parse the top Via twice per request
      const top = values.length > 0 ? this.topVia() : undefined;
      const list = top !== undefined ? parseList(values, parseVia, 1, [top]) : parseList(values, parseVia, 0, []);
      this.cVias = list;
      this.markList(LIST_VIA, list.length === values.length);
    }
    return this.cVias;
  }

  from(): NameAddr | undefined {
    if (this.cFrom === undefined) {
      const v = this.firstValue('from');
      this.cFrom = v === undefined ? null : parseNameAddr(v) ?? null;
    }
    return this.cFrom ?? undefined;
  }

  to(): NameAddr | undefined {
    if (this.cTo === undefined) {
      const v = this.firstValue('to');
      this.cTo = v === undefined ? null : parseNameAddr(v) ?? null;
    }
    return this.cTo ?? undefined;
  }

  fromTag(): string | undefined {
    return this.from()?.params.get('tag') ?? undefined;
  }

  toTag(): string | undefined {
    return this.to()?.params.get('tag') ?? undefined;
  }

  callId(): string | undefined {
    if (this.cCallId === undefined) {
      const v = this.firstValue('call-id');
      this.cCallId = v === undefined || v.length === 0 ? null : v;
    }
    return this.cCallId ?? undefined;
  }

  cseq(): CSeq | undefined {
    if (this.cCSeq === undefined) {
      const v = this.firstValue('cseq');
      this.cCSeq = v === undefined ? null : parseCSeqValue(v) ?? null;
    }
    return this.cCSeq ?? undefined;
  }

  maxForwards(): number | undefined {
    if (this.cMf === undefined) {
      const v = this.firstValue('max-forwards');
      if (v === undefined) this.cMf = null;
      else {
        const n = parseUint(v, 0, v.length, 9);
        this.cMf = n < 0 ? NaN : n;
      }
    }
    return this.cMf ?? undefined;
  }

  routes(): NameAddr[] {
    if (this.cRoutes === undefined) {
      const values = this.valuesOf('route');
      this.cRoutes = parseList(values, parseNameAddr, 0, []);
      this.markList(LIST_ROUTE, this.cRoutes.length === values.length);
    }
    return this.cRoutes;
  }

  recordRoutes(): NameAddr[] {
    if (this.cRR === undefined) {
      const values = this.valuesOf('record-route');
      this.cRR = parseList(values, parseNameAddr, 0, []);
      this.markList(LIST_RR, this.cRR.length === values.length);
    }
    return this.cRR;
  }

  contacts(): NameAddr[] {
    if (this.cContacts === undefined) {
      const values = this.valuesOf('contact');
      this.cContacts = parseList(values, parseNameAddr, 0, []);
      this.markList(LIST_CONTACT, this.cContacts.length === values.length);
    }
    return this.cContacts;
  }

  private markList(bit: number, complete: boolean): void {
    if (complete) this.listsMalformed &= ~bit;
    else this.listsMalformed |= bit;
  }

  /**
   * True when some value of the list header does not parse: the list
   * accessor stopped short of headerValues(). Answers from the accessor's
   * cached parse, without splitting the values again.
   */
  hasMalformedValue(key: CheckedList): boolean {
    switch (key) {
      case 'via': this.vias(); return (this.listsMalformed & LIST_VIA) !== 0;
      case 'route': this.routes(); return (this.listsMalformed & LIST_ROUTE) !== 0;
      case 'record-route': this.recordRoutes(); return (this.listsMalformed & LIST_RR) !== 0;
      case 'contact': this.contacts(); return (this.listsMalformed & LIST_CONTACT) !== 0;
    }
  }

  /** Content-Length as written (serialize() writes the body's real length) */
  contentLength(): number | undefined {
    if (this.cCl === undefined) {
      const v = this.firstValue('content-length');
      if (v === undefined) this.cCl = null;
      else {
        const n = parseUint(v, 0, v.length, 10);
        this.cCl = n < 0 ? NaN : n;
      }
    }
    return this.cCl ?? undefined;
  }

  private firstValue(key: string): string | undefined {
    const i = this.indexOf(key);
    return i < 0 ? undefined : this.valueAt(i);
  }

  // ---------------------------------------------------------------- mutation

  setUri(uri: string): void {
    this.uri = toByteString(uri);
    this.cRuri = undefined;
    this.startDirty = true;
    this.dirty = true;
    this.cWire = undefined;
  }

  setStatus(status: number, reason: string): void {
    this.status = status;
    this.reason = toByteString(reason);
    this.startDirty = true;
    this.dirty = true;
    this.cWire = undefined;
  }

  setHeader(name: string, value: string): void {
    const key = canonicalKey(name);
    const v = toByteString(value);
    const first = this.indexOf(key);
    if (first < 0) {
      this.insertRow(this.keys.length, key, prettyName(name), v);
      return;
    }
    // keep the spelling the message used for this header
    this.replaceRow(first, this.nameAt(first), v);
    for (let i = this.indexOf(key, first + 1); i >= 0; i = this.indexOf(key, i)) this.removeRow(i);
  }

  prependHeader(name: string, value: string): void {
    const key = canonicalKey(name);
    const first = this.indexOf(key);
    this.insertRow(first < 0 ? 0 : first, key, prettyName(name), toByteString(value));
  }

  appendHeader(name: string, value: string): void {
    const key = canonicalKey(name);
    this.insertRow(this.keys.length, key, prettyName(name), toByteString(value));
  }

  removeHeader(name: string): void {
    const key = canonicalKey(name);
    for (let i = this.indexOf(key); i >= 0; i = this.indexOf(key, i)) this.removeRow(i);
  }

  removeFirstValue(name: string): void {
    const key = canonicalKey(name);
    const i = this.indexOf(key);
    if (i < 0) return;
    const v = this.valueAt(i);
    const c = topLevelComma(v, 0, v.length);
    if (c >= v.length) {
      this.removeRow(i);
      return;
    }
    const rest = v.slice(skipWsp(v, c + 1, v.length));
    if (rest.length === 0) this.removeRow(i);
    else this.replaceRow(i, this.nameAt(i), rest);
  }

  setTopViaParam(name: string, value: string | null): void {
    const i = this.indexOf('via');
    if (i < 0) return;
    const v = this.valueAt(i);
    const c = topLevelComma(v, 0, v.length);
    const text = v.slice(0, c);
    const bytes = value === null ? null : toByteString(value);
    const top = setParamText(text, name, bytes);
    const parsed = this.cTopVia;
    this.replaceRow(i, this.nameAt(i), c < v.length ? top + v.slice(c) : top);
    // stampVia edits the top Via of every request the proxy takes, which it
    // then reads again: keep the parsed Via, with the param set as parsing the
    // new text would give it, rather than parse the Via a second time
    if (parsed !== undefined && parsed !== null && editReadsBackAsSet(text, parsed, name, bytes)) {
      const params = new Map(parsed.params);
      params.set(name.toLowerCase(), bytes);
      this.cTopVia = { protocol: parsed.protocol, transport: parsed.transport, host: parsed.host, port: parsed.port, params };
    }
  }

  // ---------------------------------------------------------------- output

  private startLine(): string {
    return this.isRequest ? this.method + ' ' + this.uri + ' SIP/2.0' : 'SIP/2.0 ' + this.status + ' ' + this.reason;
  }

  serialize(): Buffer {
    const body = this.body;
    // `body` is a public field: a new body makes the cached bytes stale
    if (this.cWire !== undefined && this.cWireBody === body) return this.cWire;
    const out = this.build(body);
    this.cWire = out;
    this.cWireBody = body;
    return out;
  }

  private build(body: Buffer): Buffer {
    const w = this.w;
    if (!this.dirty && !this.startDirty && body === this.origBody && w.clExact && !w.bareLf) {
      return w.raw.subarray(w.msgStart, w.msgEnd);
    }
    const src = w.src;
    const off = w.off;
    const lf = w.bareLf;
    const bodyLen = String(body.length);
    let head = this.startDirty || lf ? this.startLine() + '\r\n' : src.slice(w.msgStart, w.startNext);
    let runStart = -1;
    let runEnd = -1;
    let clDone = false;
    const keys = this.keys;
    const rows = this.rows;
    for (let i = 0; i < keys.length; i++) {
      const o = rows === null ? i : rows[i];
      if (keys[i] === 'content-length') {
        if (clDone) continue;
        clDone = true;
        if (o >= 0 && !lf && spells(src, off[o * STRIDE + F_VAL], off[o * STRIDE + F_VAL_END], bodyLen)) {
          // unchanged: keep the line as written (falls through to the run logic)
        } else {
          if (runStart >= 0) head += src.slice(runStart, runEnd);
          runStart = -1;
          head += this.nameAt(i) + ': ' + bodyLen + '\r\n';
          continue;
        }
      }
      if (o >= 0 && !lf) {
        const b = o * STRIDE;
        if (off[b + F_LINE] === runEnd) runEnd = off[b + F_NEXT];
        else {
          if (runStart >= 0) head += src.slice(runStart, runEnd);
          runStart = off[b + F_LINE];
          runEnd = off[b + F_NEXT];
        }
        continue;
      }
      if (runStart >= 0) head += src.slice(runStart, runEnd);
      runStart = -1;
      runEnd = -1;
      head += this.nameAt(i) + ': ' + this.valueAt(i) + '\r\n';
    }
    if (runStart >= 0) head += src.slice(runStart, runEnd);
    if (!clDone) head += 'Content-Length: ' + bodyLen + '\r\n';
    head += '\r\n';
    const out = Buffer.allocUnsafe(head.length + body.length);
    writeLatin1(out, head, 0);
    if (body.length > 0) body.copy(out, head.length);
    return out;
  }

  compact(): void {
    // (cCSeq too: the parser's CSeq holds a method string sliced from the source)
    this.cTopVia = this.cFrom = this.cTo = this.cCallId = this.cCSeq = this.cMf = this.cRuri = this.cCl = undefined;
    this.cVias = this.cRoutes = this.cRR = this.cContacts = undefined;
    this.listsMalformed = 0;
    this.cWire = undefined;
    this.cWireBody = EMPTY;
    // the parser grew the index by push: a copy has no spare capacity (clones share it: same rows)
    const w = this.w;
    if (w.off.length > 0) w.off = w.off.slice();
    if (this.keys.length > 0) this.keys = this.keys.slice();
    // A message read from a batch of datagrams (recvmmsg) or a TCP read is a
    // view into that whole buffer: kept for a call's ringing time it would
    // keep every other message of the batch alive too. Its own copy then.
    const raw = w.raw;
    if (raw.byteLength > 0 && raw.buffer.byteLength > raw.byteLength) this.ownBytes(raw);
  }

  /** moves the message onto a copy of its bytes (the body views too); clones keep theirs */
  private ownBytes(raw: Buffer): void {
    const own = Buffer.allocUnsafeSlow(raw.byteLength);
    raw.copy(own);
    const moved = (b: Buffer): Buffer => {
      const at = b.byteOffset - raw.byteOffset;
      return b.buffer === raw.buffer && at >= 0 && at + b.byteLength <= raw.byteLength ? own.subarray(at, at + b.byteLength) : b;
    };
    // (body === origBody is what serialize() checks for an unchanged body: keep it so)
    const same = this.body === this.origBody;
    this.origBody = moved(this.origBody);
    this.body = same ? this.origBody : moved(this.body);
    this.w.raw = own;
  }

  clone(): SipMessage {
    const m = new Message(this.w, this.isRequest, this.method, this.uri, this.status, this.reason, this.keys.slice(), this.body, undefined);
    m.origBody = this.origBody;
    m.startDirty = this.startDirty;
    m.dirty = this.dirty;
    if (this.rows !== null) {
      m.rows = this.rows.slice();
      m.added = this.added.slice();
    }
    return m;
  }
}

/**
 * Any char but HT, CR, LF and the printable ones: a control char (or a char
 * above 0xFF, which latin1 text never holds; then the row scan decides).
 * Written as the complement of what is allowed: measured faster than the
 * control ranges themselves.
 */
const CONTROL_IN_BLOCK = /[^\t\n\r\x20-\x7e\x80-\xff]/;

/**
 * Whether setParamText(text, name, value) on a Via value that parsed as `via`
 * gives text that parses as `via` with params.set(lower-case name, value):
 * the name is a token, the value absent or a plain unquoted param value, and
 * every ';' in the text opens one distinct param (no duplicate names, which
 * the edit and a parse would resolve differently, and no ';' in quotes).
 */
function editReadsBackAsSet(text: string, via: Via, name: string, value: string | null): boolean {
  if (name.length === 0) return false;
  for (let k = 0; k < name.length; k++) if (TOKEN[name.charCodeAt(k)] !== 1) return false;
  if (value !== null) {
    if (value.length === 0) return false;
    for (let k = 0; k < value.length; k++) if (!isParamValueChar(value.charCodeAt(k))) return false;
  }
  let semis = 0;
  for (let k = text.indexOf(';'); k >= 0; k = text.indexOf(';', k + 1)) semis++;
  return semis === via.params.size;
}

/** the unquoted param value chars parseParams takes: token, ':' '[' ']' '/' '@' */
function isParamValueChar(c: number): boolean {
  return TOKEN[c] === 1 || c === 58 || c === 91 || c === 93 || c === 47 || c === 64;
}

/** a control character other than HT (and CR/LF when they are fold breaks) */
function isControl(c: number, foldBreaksOk: boolean): boolean {
  if (c === 127) return true;
  if (c >= 32 || c === 9) return false;
  return !(foldBreaksOk && (c === 13 || c === 10));
}

function hasControl(v: string, from: number, foldBreaksOk: boolean): boolean {
  for (let i = from; i < v.length; i++) if (isControl(v.charCodeAt(i), foldBreaksOk)) return true;
  return false;
}

function hasControlIn(src: string, a: number, b: number): boolean {
  for (let i = a; i < b; i++) if (isControl(src.charCodeAt(i), true)) return hasBareControl(src, a, b, true);
  return false;
}

/** s[a, b) is exactly `text` (no slice made to compare) */
function spells(s: string, a: number, b: number, text: string): boolean {
  return b - a === text.length && s.startsWith(text, a);
}

// Row lists hold 10-40 entries: shifting them in a loop beats splice (measured ~1.6x)
function insertAt<T>(list: T[], at: number, item: T): void {
  let i = list.length;
  list.push(item);
  for (; i > at; i--) list[i] = list[i - 1];
  list[at] = item;
}

function removeAt<T>(list: T[], at: number): void {
  const last = list.length - 1;
  for (let i = at; i < last; i++) list[i] = list[i + 1];
  list.pop();
}

/** parse values[from...] onto `out` (which holds the ones already parsed), stopping at the first malformed one */
function parseList<T>(values: string[], parse: (v: string) => T | undefined, from: number, out: T[]): T[] {
  for (let i = from; i < values.length; i++) {
    const r = parse(values[i]);
    if (r === undefined) break;
    out.push(r);
  }
  return out;
}
