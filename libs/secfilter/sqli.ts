// The SQL-injection detector (Kamailio secf_check_sqli_*). SIP identities end
// up in SQL: subscriber lookups, CDRs, billing. A value is judged by a fixed
// set of named rules, each a linear scan or a bounded look-ahead over a token
// list: no regular expression runs on the input, so no input can make the
// detector backtrack (cost is O(length x 6) at worst).
//
// Two strengths:
// - strict, for URI user parts (From/To/Contact/R-URI): these are phone
//   numbers and account names, so any quote, comment marker or control char
//   is refused outright, as Kamailio does ("o'brien" as a user part is refused).
// - lenient, for display names and User-Agent: free text where "O'Brien",
//   "Rock 'n' Roll" or "Sales -- Main" are normal. Only structures that make
//   sense as SQL are refused: a quote that closes a string and goes on with
//   SQL, tautologies, keyword pairs, stacked queries, timing functions.
// Both decode %HH once first; an encoded quote left after that
// (double-encoding) is refused in both.
import { percentDecode } from './text.ts';

export type SqliMode = 'strict' | 'lenient';

/** Why a value was judged an injection attempt (docs/secfilter.md lists them). */
export type SqliRule =
  | 'control_char'
  | 'quote'
  | 'comment'
  | 'encoded_quote'
  | 'quote_break'
  | 'stacked_query'
  | 'tautology'
  | 'keywords'
  | 'function';

/** token kinds */
const K = { Word: 0, Quote: 1, Op: 2, Punct: 3 } as const;
type Kind = (typeof K)[keyof typeof K];

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 64 || c === 36 || c >= 128;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 43; // '+' is a space once URL-decoded by a backend
}

function isQuote(c: number): boolean {
  return c === 39 || c === 34 || c === 96;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

interface Tokens {
  kind: Kind[];
  text: string[];
  /** index in the string just after the token */
  end: number[];
}

function tokenize(s: string): Tokens {
  const t: Tokens = { kind: [], text: [], end: [] };
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    if (isSpace(c)) { i++; continue; }
    if (isWordChar(c)) {
      let j = i + 1;
      while (j < s.length && isWordChar(s.charCodeAt(j))) j++;
      t.kind.push(K.Word); t.text.push(s.slice(i, j)); t.end.push(j);
      i = j;
      continue;
    }
    t.kind.push(isQuote(c) ? K.Quote : c === 61 || c === 60 || c === 62 || c === 33 ? K.Op : K.Punct);
    t.text.push(s[i]);
    t.end.push(i + 1);
    i++;
  }
  return t;
}

const CONJUNCTIONS = new Set(['or', 'and', 'xor']);
/** first keyword -> second keywords that make a statement when they follow within KEYWORD_WINDOW words */
const KEYWORD_PAIRS = new Map<string, Set<string>>([
  ['union', new Set(['select'])],
  ['select', new Set(['from'])],
  ['insert', new Set(['into'])],
  ['delete', new Set(['from'])],
  ['update', new Set(['set'])],
  ['drop', new Set(['table', 'database', 'schema', 'view', 'procedure', 'function'])],
  ['truncate', new Set(['table'])],
  ['alter', new Set(['table', 'database'])],
  ['into', new Set(['outfile', 'dumpfile'])],
  ['waitfor', new Set(['delay', 'time'])],
  ['exec', new Set(['xp_cmdshell', 'sp_executesql', 'master'])],
  ['execute', new Set(['xp_cmdshell', 'sp_executesql', 'master'])],
]);
const KEYWORD_WINDOW = 6;
/** words that are SQL and nothing else */
const SQL_ONLY_WORDS = new Set(['information_schema', 'xp_cmdshell', '@@version', 'sqlite_master', 'pg_catalog', 'sysobjects']);
/** words that start a statement after ";" */
const STATEMENTS = new Set(['select', 'insert', 'update', 'delete', 'drop', 'truncate', 'alter', 'create', 'exec', 'execute', 'declare', 'shutdown', 'union', 'grant', 'revoke']);
/** functions used to probe blind injections (timing, file access, error-based) */
const FUNCTIONS = new Set(['sleep', 'benchmark', 'pg_sleep', 'load_file', 'extractvalue', 'updatexml']);
/** words that, after a closing quote, continue a SQL expression */
const AFTER_QUOTE = new Set(['union', 'having']);

/** A closing quote followed by SQL: ' --   '#   ');   ' or '1   ' union   ' order by */
function quoteBreak(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (!isQuote(s.charCodeAt(i))) continue;
    let j = i + 1;
    while (j < s.length && (isSpace(s.charCodeAt(j)) || s.charCodeAt(j) === 41)) j++;
    if (j >= s.length) continue;
    const c = s.charCodeAt(j);
    const next = s.charCodeAt(j + 1);
    if (c === 59 || c === 35) return true; // ; #
    if ((c === 45 && next === 45) || (c === 47 && next === 42) || (c === 124 && next === 124) || (c === 38 && next === 38)) return true; // -- /* || &&
    if (!isWordChar(c)) continue;
    let k = j;
    while (k < s.length && isWordChar(s.charCodeAt(k))) k++;
    const word = s.slice(j, k);
    if (AFTER_QUOTE.has(word)) return true;
    if (word === 'order' || word === 'group') {
      let m = k;
      while (m < s.length && isSpace(s.charCodeAt(m))) m++;
      if (s.startsWith('by', m) && !isWordChar(s.charCodeAt(m + 2))) return true;
      continue;
    }
    if (!CONJUNCTIONS.has(word) || k >= s.length || !isSpace(s.charCodeAt(k))) continue;
    let m = k;
    while (m < s.length && isSpace(s.charCodeAt(m))) m++;
    const d = s.charCodeAt(m);
    if (isQuote(d) || isDigit(d) || d === 40) return true;
    for (const w of ['true', 'false', 'not', 'null']) if (s.startsWith(w, m) && !isWordChar(s.charCodeAt(m + w.length))) return true;
  }
  return false;
}

const COMPARISONS = new Set(['=', '==', '<', '>', '<=', '>=', '<>', '!=', '<=>']);

/** or 1=1, and 'a'='a', or ''=', || x like x: a conjunction, one operand, a comparison, another operand */
function tautology(t: Tokens): boolean {
  const n = t.kind.length;
  for (let i = 0; i < n; i++) {
    const isConj =
      (t.kind[i] === K.Word && CONJUNCTIONS.has(t.text[i])) ||
      (t.kind[i] === K.Punct && (t.text[i] === '|' || t.text[i] === '&') && t.text[i + 1] === t.text[i] && t.end[i + 1] === t.end[i] + 1);
    if (!isConj) continue;
    let j = t.kind[i] === K.Punct ? i + 2 : i + 1;
    while (j < n && t.text[j] === '(') j++;
    let words = 0;
    let quotes = 0;
    while (j < n && words + quotes < 3 && (t.kind[j] === K.Quote || (t.kind[j] === K.Word && t.text[j] !== 'like'))) {
      if (t.kind[j] === K.Word) words++;
      else quotes++;
      j++;
    }
    if (words + quotes === 0 || words > 1 || j >= n) continue;
    let op = '';
    if (t.kind[j] === K.Word) {
      op = 'like';
      j++;
    } else {
      // adjacent operator chars form one operator ("<>", "!=")
      while (j < n && t.kind[j] === K.Op && (op === '' || t.end[j] === t.end[j - 1] + 1)) op += t.text[j++];
      if (!COMPARISONS.has(op)) continue;
    }
    if (j < n && (t.kind[j] === K.Quote || t.kind[j] === K.Word)) return true;
    // "' or ''='" ends right after the comparison: the closing quote is the application's own
    if (j >= n && op === '=' && quotes > 0) return true;
  }
  return false;
}

function keywordRules(t: Tokens): SqliRule | undefined {
  const words: number[] = [];
  for (let i = 0; i < t.kind.length; i++) if (t.kind[i] === K.Word) words.push(i);
  for (let w = 0; w < words.length; w++) {
    const i = words[w];
    const word = t.text[i];
    if (SQL_ONLY_WORDS.has(word)) return 'keywords';
    if (FUNCTIONS.has(word) && t.text[i + 1] === '(') return 'function';
    const seconds = KEYWORD_PAIRS.get(word);
    if (seconds === undefined) continue;
    for (let v = w + 1; v < words.length && v <= w + KEYWORD_WINDOW; v++) if (seconds.has(t.text[words[v]])) return 'keywords';
  }
  for (let i = 0; i + 1 < t.kind.length; i++) {
    if (t.text[i] === ';' && t.kind[i + 1] === K.Word && STATEMENTS.has(t.text[i + 1])) return 'stacked_query';
  }
  return undefined;
}

/** words that can start a rule that needs no special character (keyword pairs, SQL-only words, "x like x") */
const TRIGGER_WORDS = new Set([...KEYWORD_PAIRS.keys(), ...SQL_ONLY_WORDS, 'like']);
const TRIGGER_FIRST = new Set([...TRIGGER_WORDS].map((w) => w.charCodeAt(0)));
const TRIGGER_MIN = Math.min(...[...TRIGGER_WORDS].map((w) => w.length));
const TRIGGER_MAX = Math.max(...[...TRIGGER_WORDS].map((w) => w.length));

function lowerCode(c: number): number {
  return c >= 65 && c <= 90 ? c | 0x20 : c;
}

/**
 * Cheap first pass, no allocation for most values: can any rule fire at
 * all? Every rule needs a special character (quote, %, ;, =, <, >, (, |, &,
 * #, a control char; in strict mode also -- /* *\/) or a trigger word. Values
 * with neither ("Office 1001", "Yealink SIP-T46S 66.86.0.15") are clean.
 */
function suspicious(s: string, mode: SqliMode): boolean {
  for (let i = 0; i < s.length; ) {
    const c = lowerCode(s.charCodeAt(i));
    if (isWordChar(c)) {
      let j = i + 1;
      while (j < s.length && isWordChar(lowerCode(s.charCodeAt(j)))) j++;
      const len = j - i;
      if (len >= TRIGGER_MIN && len <= TRIGGER_MAX && TRIGGER_FIRST.has(c) && TRIGGER_WORDS.has(s.slice(i, j).toLowerCase())) return true;
      i = j;
      continue;
    }
    if (c < 32 || c === 127 || isQuote(c)) return true;
    switch (c) {
      case 37: case 59: case 61: case 60: case 62: case 40: case 124: case 38: case 35: // % ; = < > ( | & #
        return true;
      case 45: case 47: case 42: { // - / *
        if (mode === 'strict') {
          const d = s.charCodeAt(i + 1);
          if ((c === 45 && d === 45) || (c === 47 && d === 42) || (c === 42 && d === 47)) return true;
        }
        break;
      }
    }
    i++;
  }
  return false;
}

/**
 * The rule a value breaks, or undefined when it looks clean. `value` is a
 * libs/sip byte string (URI user parts still %-escaped, display names unquoted).
 */
export function detectSqli(value: string, mode: SqliMode): SqliRule | undefined {
  if (!suspicious(value, mode)) return undefined;
  const s = percentDecode(value).toLowerCase();
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || (mode === 'strict' && (c < 32 || c === 127))) return 'control_char';
  }
  if (s.includes('%27') || s.includes('%22') || s.includes('%60')) return 'encoded_quote';
  if (mode === 'strict') {
    for (let i = 0; i < s.length; i++) if (isQuote(s.charCodeAt(i))) return 'quote';
    if (s.includes('--') || s.includes('/*') || s.includes('*/')) return 'comment';
  } else if (quoteBreak(s)) return 'quote_break';
  const t = tokenize(s);
  if (tautology(t)) return 'tautology';
  return keywordRules(t);
}
