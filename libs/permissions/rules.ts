// allow/deny rule lines in the hosts.allow / hosts.deny spirit (Kamailio
// permissions.allow / permissions.deny):
//
//   FROM_LIST [EXCEPT FROM_LIST] : URI_LIST [EXCEPT URI_LIST]   # comment
//
// A list is ALL, or comma-separated patterns: "quoted regex" or a bare word.
// Patterns are case-insensitive regular expressions (Kamailio compiles them
// REG_EXTENDED | REG_ICASE). A side matches a value when one of its patterns
// does (ALL always does) and none of its EXCEPT patterns does.

/** Compiles a rule / policy pattern as Kamailio does: case-insensitive. Throws SyntaxError. */
export function compilePattern(source: string): RegExp {
  return new RegExp(source, 'i');
}

/** A message for a pattern that does not compile, or undefined. */
export function patternProblem(source: string): string | undefined {
  try {
    compilePattern(source);
    return undefined;
  } catch (err) {
    return `bad regular expression "${source}": ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`;
  }
}

export interface Side {
  /** ALL */
  readonly all: boolean;
  readonly match: readonly RegExp[];
  readonly except: readonly RegExp[];
}

/** Where a rule was written: a file line, or an inline config entry. */
export type RuleSource = { readonly file: string; readonly line: number } | { readonly path: string };

export interface Rule {
  readonly left: Side;
  readonly right: Side;
  /** the line as written, without comment */
  readonly text: string;
  readonly source: RuleSource;
}

export function sideMatches(side: Side, value: string): boolean {
  if (!side.all && !side.match.some((r) => r.test(value))) return false;
  return !side.except.some((r) => r.test(value));
}

export function ruleMatches(rule: Rule, left: string, right: string): boolean {
  return sideMatches(rule.left, left) && sideMatches(rule.right, right);
}

export function formatSource(s: RuleSource): string {
  return 'file' in s ? `${s.file}:${s.line}` : s.path;
}

// ------------------------------------------------------------------ parsing

type Token = { t: 'word'; v: string; quoted: boolean } | { t: 'comma' };

/** What is wrong with a line; thrown inside the parser, caught by parseRuleLine. */
class LineError {
  constructor(readonly message: string) {}
}

/** Splits off the comment and the sides; throws LineError on a bad line. */
function splitLine(raw: string): { left: string; right: string; text: string } | undefined {
  let inQuote = false;
  let end = raw.length;
  const colons: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '"') inQuote = !inQuote;
    else if (!inQuote && c === '#') {
      end = i;
      break;
    } else if (!inQuote && c === ':') colons.push(i);
  }
  if (inQuote) throw new LineError('unterminated quote: a pattern in quotes must end with "');
  const text = raw.slice(0, end).trim();
  if (text === '') return undefined;
  if (colons.length === 0) throw new LineError('missing ":" between the From patterns and the URI patterns');
  if (colons.length > 1) throw new LineError('more than one ":" outside quotes: write patterns that contain ":" in quotes ("^sip:...")');
  return { left: raw.slice(0, colons[0]), right: raw.slice(colons[0] + 1, end), text };
}

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === ',') {
      out.push({ t: 'comma' });
      i++;
    } else if (c === '"') {
      const close = s.indexOf('"', i + 1);
      if (close < 0) throw new LineError('unterminated quote: a pattern in quotes must end with "');
      out.push({ t: 'word', v: s.slice(i + 1, close), quoted: true });
      i = close + 1;
    } else {
      let j = i;
      while (j < s.length && s[j] !== ' ' && s[j] !== '\t' && s[j] !== ',' && s[j] !== '"' && s[j] !== '\r') j++;
      out.push({ t: 'word', v: s.slice(i, j), quoted: false });
      i = j;
    }
  }
  return out;
}

const isKeyword = (tok: Token | undefined, kw: string): boolean => tok !== undefined && tok.t === 'word' && !tok.quoted && tok.v === kw;

/** Reads "a, b, c" from tokens[i..]; stops at EXCEPT or the end. */
function readList(tokens: Token[], i: number, where: string): { items: string[]; all: boolean; next: number } {
  const items: string[] = [];
  let all = false;
  let expectItem = true;
  for (; i < tokens.length; i++) {
    const tok = tokens[i];
    if (isKeyword(tok, 'EXCEPT')) break;
    if (tok.t === 'comma') {
      if (expectItem) throw new LineError(`empty pattern in the ${where} list (two commas, or a comma first)`);
      expectItem = true;
      continue;
    }
    if (!expectItem) throw new LineError(`expected "," between patterns in the ${where} list, before "${tok.v}" (quote a pattern that holds spaces)`);
    if (tok.v === '') throw new LineError(`empty pattern "" in the ${where} list`);
    if (!tok.quoted && tok.v === 'ALL') all = true;
    else items.push(tok.v);
    expectItem = false;
  }
  if (expectItem && (items.length > 0 || all)) throw new LineError(`the ${where} list ends with ","`);
  if (all && items.length > 0) throw new LineError(`ALL must stand alone in the ${where} list`);
  return { items, all, next: i };
}

function compileList(items: string[]): RegExp[] {
  return items.map((p) => {
    const problem = patternProblem(p);
    if (problem !== undefined) throw new LineError(problem);
    return compilePattern(p);
  });
}

function parseSide(text: string, name: string): Side {
  const tokens = tokenize(text);
  const main = readList(tokens, 0, name);
  if (!main.all && main.items.length === 0) throw new LineError(`no ${name} pattern: write ALL or at least one pattern`);
  let except: string[] = [];
  if (main.next < tokens.length) {
    const ex = readList(tokens, main.next + 1, `${name} EXCEPT`);
    if (ex.all) throw new LineError(`ALL after EXCEPT would exclude everything in the ${name} list`);
    if (ex.items.length === 0) throw new LineError(`EXCEPT needs patterns after it in the ${name} list`);
    if (ex.next < tokens.length) throw new LineError(`EXCEPT appears twice in the ${name} list`);
    except = ex.items;
  }
  return { all: main.all, match: compileList(main.items), except: compileList(except) };
}

export type ParsedLine = { kind: 'empty' } | { kind: 'rule'; left: Side; right: Side; text: string } | { kind: 'error'; message: string };

/** One rule line -> its rule, nothing (blank / comment), or what is wrong with it. */
export function parseRuleLine(raw: string): ParsedLine {
  try {
    const parts = splitLine(raw);
    if (parts === undefined) return { kind: 'empty' };
    return { kind: 'rule', left: parseSide(parts.left, 'From'), right: parseSide(parts.right, 'URI'), text: parts.text };
  } catch (err) {
    if (err instanceof LineError) return { kind: 'error', message: err.message };
    throw err;
  }
}

/** For the config schema: a message when an inline rule line is bad. */
export function ruleLineProblem(line: string): string | undefined {
  if (line.includes('\n')) return 'one rule per list item (no line breaks)';
  const p = parseRuleLine(line);
  if (p.kind === 'error') return p.message;
  if (p.kind === 'empty') return 'empty rule (only a comment or blanks)';
  return undefined;
}

// ------------------------------------------------------------------ decisions

export type RuleDecision =
  | { readonly verdict: 'allow'; readonly rule: Rule }
  | { readonly verdict: 'deny'; readonly rule: Rule }
  /** no rule matched: allowed (Kamailio: "otherwise, routing will be allowed") */
  | { readonly verdict: 'none' };

const NONE: RuleDecision = Object.freeze({ verdict: 'none' });

/** One allow list and one deny list (a permissions.allow / permissions.deny pair). */
export class RuleSet {
  constructor(
    readonly allow: readonly Rule[],
    readonly deny: readonly Rule[],
  ) {}

  get empty(): boolean {
    return this.allow.length === 0 && this.deny.length === 0;
  }

  /** Allowed if an allow rule matches; otherwise denied if a deny rule matches; otherwise allowed. */
  decide(left: string, right: string): RuleDecision {
    for (const r of this.allow) if (ruleMatches(r, left, right)) return { verdict: 'allow', rule: r };
    for (const r of this.deny) if (ruleMatches(r, left, right)) return { verdict: 'deny', rule: r };
    return NONE;
  }
}

export const EMPTY_RULES = new RuleSet([], []);
