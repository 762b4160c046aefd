// libs/sip public surface: the SIP message layer. No I/O.
//
// Strings are byte strings: each char is one wire byte (latin1), so offsets
// match the Buffer and nothing is lost. UTF-8 text (display names, Subject)
// shows as its bytes; decode with Buffer.from(s, 'latin1').toString('utf8').
// Strings passed to mutators/builders that hold chars above U+00FF are
// encoded as UTF-8.
//
// Parsed messages keep a reference to the Buffer given to parseMessage (no
// copy): do not reuse or overwrite it. Objects returned by the typed
// accessors are cached: treat them as read-only and use the mutators.
export type {
  CSeq, HeaderField, NameAddr, ParseError, ParseErrorCode, ParseLimits, ParseResult, SipMessage, SipUri, Via,
} from './types.ts';

/** caps with safe defaults; resolveLimits merges a partial override */
export { DEFAULT_PARSE_LIMITS, resolveLimits } from './limits.ts';
/** bytes -> SipMessage or typed ParseError (never throws) */
export { parseMessage } from './parser.ts';
/** deeper value checks for the sanity step; parseAndValidate = both */
export { validateMessage, parseAndValidate, schemeIsSipOrTel } from './validate.ts';
/** ParseErrorCode -> SIP status/reason to answer with (0 = drop) */
export { PARSE_ERRORS, PARSE_ERROR_CODES, type ParseErrorInfo } from './errors.ts';
/** URI, name-addr and Via value parsers/formatters (pure) */
export { parseUri, formatUri, isAbsoluteUri } from './uri.ts';
export { parseNameAddr, formatNameAddr } from './name-addr.ts';
export { parseVia, formatVia } from './via.ts';
/** header-name helpers: compact forms, canonical keys, list headers */
export { COMPACT_FORMS, LIST_HEADERS, canonicalKey, prettyName } from './names.ts';
/** value helpers: split a comma list respecting quotes and <>, unquote */
export { splitList, unquote } from './scan.ts';
/** new messages: responses (§8.2.6), requests, any start line */
export { buildMessage, createRequest, createResponse, type HeaderList, type RequestSpec, type ResponseOptions } from './build.ts';
/** received/rport stamping and response routing (§18.2.1, §18.2.2, RFC 3581) */
export { stampVia, responseTarget, type RemoteAddress, type ResponseTarget } from './nat.ts';
/** branch (z9hG4bK...), tags, Call-IDs */
export { generateBranch, generateTag, generateCallId } from './ids.ts';
/** TCP stream framing and CRLF keep-alives (RFC 5626 §3.5.1) */
export { frameStream, type FrameResult } from './framer.ts';
/** multipart bodies split by boundary */
export { splitMultipart, multipartBoundary, type BodyPart } from './multipart.ts';
