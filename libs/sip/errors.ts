// One registry for parse failures: the SIP answer each one deserves, so the
// sanity step, metrics and docs agree. status 0 = drop silently.
import type { ParseError, ParseErrorCode, SipMessage } from './types.ts';

export interface ParseErrorInfo {
  /** response status when the request is answerable (ParseError.partial set); 0 = drop */
  status: number;
  reason: string;
}

export const PARSE_ERRORS: Readonly<Record<ParseErrorCode, ParseErrorInfo>> = Object.freeze({
  empty: { status: 0, reason: '' },
  too_large: { status: 513, reason: 'Message Too Large' },
  bad_start_line: { status: 400, reason: 'Bad Request Line' },
  bad_version: { status: 505, reason: 'Version Not Supported' },
  bad_method: { status: 400, reason: 'Bad Method' },
  bad_status: { status: 0, reason: '' },
  bad_header: { status: 400, reason: 'Bad Header' },
  line_too_long: { status: 513, reason: 'Header Line Too Long' },
  too_many_headers: { status: 513, reason: 'Too Many Headers' },
  via_depth: { status: 483, reason: 'Too Many Hops' },
  missing_header: { status: 400, reason: 'Missing Header' },
  bad_content_length: { status: 400, reason: 'Bad Content-Length' },
  truncated_body: { status: 400, reason: 'Truncated Body' },
  bad_cseq: { status: 400, reason: 'Bad CSeq' },
  bad_via: { status: 400, reason: 'Bad Via' },
  bad_uri: { status: 400, reason: 'Bad Request-URI' },
});

export const PARSE_ERROR_CODES = Object.freeze(Object.keys(PARSE_ERRORS) as ParseErrorCode[]);

export function parseError(code: ParseErrorCode, detail: string, partial?: SipMessage): ParseError {
  return partial === undefined ? { code, detail } : { code, detail, partial };
}
