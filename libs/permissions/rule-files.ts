// Reading <basename>.allow / <basename>.deny files (and inline rule lines of
// the config) into a RuleSet. Every bad line is reported with its file and
// line, as the node's config errors are; nothing half-read is ever used.
import { configError, type ConfigError } from '#libs/config';
import { parseRuleLine, RuleSet, type Rule, type RuleSource } from './rules.ts';

export type ReadFile = (path: string) => string;

export interface RuleSpec {
  /** reads <basename>.allow and <basename>.deny */
  readonly basename?: string;
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

/** What was read, for logs and the reload answer. */
export type FileState = 'read' | 'missing';

export interface LoadedRules {
  readonly set: RuleSet;
  readonly errors: ConfigError[];
  /** per file: read or missing (missing counts as empty, as in Kamailio) */
  readonly files: Readonly<Record<string, FileState>>;
}

export const ALLOW_SUFFIX = '.allow';
export const DENY_SUFFIX = '.deny';

/** Rules of one file's text; bad lines become errors naming file:line. */
export function parseRuleFile(text: string, file: string): { rules: Rule[]; errors: ConfigError[] } {
  const rules: Rule[] = [];
  const errors: ConfigError[] = [];
  text.split('\n').forEach((raw, i) => {
    const source: RuleSource = { file, line: i + 1 };
    const p = parseRuleLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
    if (p.kind === 'error') errors.push(configError('syntax', '', p.message, source));
    else if (p.kind === 'rule') rules.push(Object.freeze({ left: p.left, right: p.right, text: p.text, source }));
  });
  return { rules, errors };
}

function parseInline(lines: readonly string[], path: string, errors: ConfigError[]): Rule[] {
  const out: Rule[] = [];
  lines.forEach((line, i) => {
    const source = { path: `${path}[${i}]` };
    const p = parseRuleLine(line);
    if (p.kind === 'error') errors.push(configError('check', source.path, p.message));
    else if (p.kind === 'rule') out.push(Object.freeze({ left: p.left, right: p.right, text: p.text, source }));
  });
  return out;
}

/**
 * The rule set of one check (routing, register or uri): file rules first,
 * then inline ones. `path` is the config key ("permissions.routing").
 */
export function loadRules(spec: RuleSpec, path: string, readFile: ReadFile): LoadedRules {
  const errors: ConfigError[] = [];
  const files: Record<string, FileState> = {};
  const fromFile = { allow: [] as Rule[], deny: [] as Rule[] };
  if (spec.basename !== undefined) {
    const missing: string[] = [];
    for (const [which, suffix] of [['allow', ALLOW_SUFFIX], ['deny', DENY_SUFFIX]] as const) {
      const file = spec.basename + suffix;
      let text: string | undefined;
      try {
        text = readFile(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          files[file] = 'missing';
          missing.push(file);
        } else errors.push(configError('file', `${path}.basename`, `cannot read ${file}: ${(err as Error).message}`));
      }
      if (text === undefined) continue;
      files[file] = 'read';
      const parsed = parseRuleFile(text, file);
      fromFile[which].push(...parsed.rules);
      errors.push(...parsed.errors);
    }
    // One missing file is normal (a deny list alone); both missing is a wrong basename.
    if (missing.length === 2) {
      errors.push(configError('file', `${path}.basename`, `neither ${missing[0]} nor ${missing[1]} exists: check the basename (it names the files without their ${ALLOW_SUFFIX}/${DENY_SUFFIX} suffix)`));
    }
  }
  const allow = [...fromFile.allow, ...parseInline(spec.allow, `${path}.allow`, errors)];
  const deny = [...fromFile.deny, ...parseInline(spec.deny, `${path}.deny`, errors)];
  return { set: new RuleSet(Object.freeze(allow), Object.freeze(deny)), errors, files };
}
