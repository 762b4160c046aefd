// The public shapes of libs/sip. Everything above the parser (transport,
// transactions, proxy, features) codes against these types only.
// libs/sip does no I/O.

/** A parsed SIP / SIPS / tel URI (RFC 3261 §19.1, RFC 3966). */
export interface SipUri {
  scheme: 'sip' | 'sips' | 'tel';
  /** user part, still %-escaped as received; undefined when absent. For tel: the number. */
  user?: string;
  password?: string;
  /** host as written: domain, IPv4, or IPv6 reference WITH brackets ("[2001:db8::1]"). Empty for tel:. */
  host: string;
  /** undefined when absent (callers apply 5060/5061 themselves). */
  port?: number;
  /** uri-parameters, names lower-cased, value null for a flag parameter (";lr"). Insertion order kept. */
  params: Map<string, string | null>;
  /** ?headers part, raw (without '?'), undefined when absent. */
  headers?: string;
}

/** A name-addr or addr-spec as in From, To, Contact, Route, Record-Route, Refer-To. */
export interface NameAddr {
  /** display name, unquoted and unescaped; undefined when absent. */
  displayName?: string;
  /** the URI text exactly as written (inside <> when it had them). */
  uriText: string;
  /** parsed URI; undefined when the scheme is not sip/sips/tel (e.g. http:, urn:) or it is malformed. */
  uri?: SipUri;
  /** header parameters after the URI (tag, expires, q, ...), names lower-cased. */
  params: Map<string, string | null>;
  /** true when the wildcard Contact "*" */
  star?: boolean;
}

/** One Via value (RFC 3261 §20.42, RFC 3581). */
export interface Via {
  /** "SIP/2.0" */
  protocol: string;
  /** upper-case transport token: UDP, TCP, TLS, SCTP, WS, WSS */
  transport: string;
  /** sent-by host as written (IPv6 with brackets) */
  host: string;
  port?: number;
  /** params with names lower-cased: branch, received, rport (null when bare), maddr, ttl, ... */
  params: Map<string, string | null>;
}

export interface CSeq {
  seq: number;
  method: string;
}

/** One header line as received (after unfolding). */
export interface HeaderField {
  /** canonical lower-case long name: compact forms are expanded ("v" -> "via"). */
  key: string;
  /** the name as written on the wire (kept for byte-exact serialization) */
  name: string;
  /** the value as written, folding replaced by a single space, surrounding whitespace trimmed */
  value: string;
}

/** Limits enforced by the parser; every one has a safe default (see limits.ts). */
export interface ParseLimits {
  maxMessageBytes: number;
  maxHeaderCount: number;
  maxLineBytes: number;
  maxViaDepth: number;
}

/** Why a message could not be parsed. One code per failure kind; metrics label = code. */
export type ParseErrorCode =
  | 'empty'
  | 'too_large'
  | 'bad_start_line'
  | 'bad_version'
  | 'bad_method'
  | 'bad_status'
  | 'bad_header'
  | 'line_too_long'
  | 'too_many_headers'
  | 'via_depth'
  | 'missing_header'
  | 'bad_content_length'
  | 'truncated_body'
  | 'bad_cseq'
  | 'bad_via'
  | 'bad_uri';

export interface ParseError {
  code: ParseErrorCode;
  /** short human text saying what was wrong, safe to put in a reason phrase */
  detail: string;
  /**
   * When the start line and the headers needed to build a reply (Via, From, To,
   * Call-ID, CSeq) were readable, the partial request is here so the caller can
   * answer 400/513 instead of dropping.
   */
  partial?: SipMessage;
}

export type ParseResult = { ok: true; msg: SipMessage } | { ok: false; error: ParseError };

/**
 * A SIP request or response. Header values are parsed lazily: the parser only
 * indexes header lines; the typed accessors below parse on first use and cache.
 * Mutators mark the message dirty; serialize() re-emits untouched header lines
 * byte-for-byte and recomputes Content-Length.
 *
 * Header names given to any method are case-insensitive and may be compact
 * ("v", "f", "i"...); they are canonicalised internally.
 */
export interface SipMessage {
  readonly isRequest: boolean;
  /** request method; for a response, the CSeq method */
  readonly method: string;
  /** Request-URI text (requests only; '' for responses) */
  readonly uri: string;
  /** status code (responses only; 0 for requests) */
  readonly status: number;
  readonly reason: string;
  body: Buffer;

  // ---- raw header access ----
  /** first field value of the header, or undefined */
  header(name: string): string | undefined;
  /** every value of the header: all lines, and comma-separated values split (for Via, Route, Record-Route, Contact, Allow, Supported, Require, Proxy-Require ...) */
  headerValues(name: string): string[];
  hasHeader(name: string): boolean;
  /** all header fields in wire order */
  fields(): readonly HeaderField[];
  /** canonical keys of all header fields in wire order (a view: no copy, do not keep across mutations) */
  headerKeys(): readonly string[];

  // ---- typed, lazily parsed accessors; undefined when absent or malformed ----
  requestUri(): SipUri | undefined;
  topVia(): Via | undefined;
  vias(): Via[];
  from(): NameAddr | undefined;
  to(): NameAddr | undefined;
  fromTag(): string | undefined;
  toTag(): string | undefined;
  callId(): string | undefined;
  cseq(): CSeq | undefined;
  /** undefined when absent; NaN when present but not a number */
  maxForwards(): number | undefined;
  routes(): NameAddr[];
  recordRoutes(): NameAddr[];
  contacts(): NameAddr[];
  contentLength(): number | undefined;

  // ---- mutation (proxy work) ----
  setUri(uri: string): void;
  setStatus(status: number, reason: string): void;
  /** replace every line of the header with one line holding this value */
  setHeader(name: string, value: string): void;
  /** add a header line at the top of the header block, before other lines of that header (Via, Record-Route) */
  prependHeader(name: string, value: string): void;
  /** add a header line at the end of the header block */
  appendHeader(name: string, value: string): void;
  removeHeader(name: string): void;
  /** remove the first value of a multi-value header (pop top Via / top Route), keeping the others */
  removeFirstValue(name: string): void;
  /** set a parameter on the top Via (received, rport) */
  setTopViaParam(name: string, value: string | null): void;

  /** bytes on the wire: unchanged parts copied, Content-Length recomputed from body */
  serialize(): Buffer;
  /** deep copy, for forking */
  clone(): SipMessage;
  /**
   * For a message kept a while but seldom read again (the request of a call
   * in flight, once relayed): drops the parsed values cached by the typed
   * accessors (they are parsed again on the next read) and trims the header
   * index to its size. Reads and output are unchanged.
   */
  compact(): void;
}
