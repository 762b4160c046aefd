// One shape for every configuration problem, wherever it was found (YAML
// file, SBC_* variable, --set argument, dispatcher.list line), so the node
// can print them all at once before it starts.

/** Where a value came from. A value from the file has file/line/column; one from the environment names its variable. */
export interface Origin {
  readonly file?: string;
  /** 1-based */
  readonly line?: number;
  /** 1-based */
  readonly column?: number;
  readonly envVar?: string;
  /** the --set argument as given */
  readonly argv?: string;
}

export type ConfigErrorCode =
  /** the file could not be read */
  | 'file'
  /** YAML syntax error (or duplicate key) */
  | 'syntax'
  | 'unknown_key'
  | 'unknown_env'
  | 'bad_argv'
  | 'missing'
  /** wrong type: a list where a number was expected ... */
  | 'type'
  /** below min / above max */
  | 'range'
  | 'enum'
  /** a field's or section's own check failed */
  | 'check';

export interface ConfigError extends Origin {
  readonly code: ConfigErrorCode;
  /** key path, e.g. "dispatcher.sets[0].algorithm"; "" for the whole file */
  readonly path: string;
  /** what is wrong, and how to fix it when we can tell */
  readonly message: string;
}

export function configError(code: ConfigErrorCode, path: string, message: string, origin?: Origin): ConfigError {
  return { code, path, message, ...(origin ?? {}) };
}

/** "sbc.yaml:12:5", "env SBC_SIP_LISTEN", "--set sip.listen=..." or "" */
export function formatOrigin(o: Origin): string {
  if (o.envVar !== undefined) return `env ${o.envVar}`;
  if (o.argv !== undefined) return `--set ${o.argv}`;
  if (o.file !== undefined) {
    if (o.line === undefined) return o.file;
    return o.column === undefined ? `${o.file}:${o.line}` : `${o.file}:${o.line}:${o.column}`;
  }
  return '';
}

/** A readable block listing every problem, one per line, in file order. */
export function formatConfigErrors(errors: readonly ConfigError[]): string {
  const sorted = [...errors].sort(compareErrors);
  const n = sorted.length;
  const lines = [`Invalid configuration: ${n} problem${n === 1 ? '' : 's'}`];
  for (const e of sorted) {
    const where = formatOrigin(e);
    const path = e.path === '' ? '' : `${e.path}: `;
    lines.push(`  ${where === '' ? '(default)' : where}  ${path}${e.message}`);
  }
  return lines.join('\n');
}

function compareErrors(a: ConfigError, b: ConfigError): number {
  // file problems first (by file, then line), then env, then argv, then the rest
  const rank = (e: ConfigError) => (e.file !== undefined ? 0 : e.envVar !== undefined ? 1 : e.argv !== undefined ? 2 : 3);
  const r = rank(a) - rank(b);
  if (r !== 0) return r;
  if (a.file !== undefined && b.file !== undefined && a.file !== b.file) return a.file < b.file ? -1 : 1;
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}
