// loadConfig: defaults < YAML file < SBC_* variables < --set arguments,
// validated once, every problem collected, the result deep-frozen.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { configError, type ConfigError, type Origin } from './errors.ts';
import { CONFIG_FILE_ENV, envOptions, type EnvOption } from './env.ts';
import { INVALID, formatPath, readValue, type DefaultsContext, type ReadCtx } from './field.ts';
import { emptyMap, parseYaml, setAt, type LMap, type LNode } from './lnode.ts';
import { assertDistinctSections, type AnySection, type ConfigOf } from './section.ts';
import { hint } from './suggest.ts';
import { nodeSections } from './node-schema.ts';

export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer U)[]
    ? readonly DeepReadonly<U>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

export interface LoadOptions<T extends readonly AnySection[]> {
  /** Sections to read; default: the node's core sections (nodeSections). */
  readonly sections?: T;
  /** YAML file; when absent, argv --config, then env SBC_CONFIG; with none, defaults + env only. */
  readonly file?: string;
  /** YAML text to use instead of reading `file` (tests, hot reload); `file` still names it in errors and anchors relative paths. */
  readonly text?: string;
  /** The environment (pass process.env from the service); only SBC_* names are looked at. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Command-line arguments: --config <file> | -c <file>, --set <key.path>=<value> (repeatable). */
  readonly argv?: readonly string[];
  /** Folder for relative paths given in env/argv, and for a relative config file name. Default: process.cwd(). */
  readonly cwd?: string;
  /** Inputs of computed defaults (node.id = hostname-pid). Default: this machine and process. */
  readonly defaults?: Partial<DefaultsContext>;
}

export type LoadResult<C> =
  | {
      readonly ok: true;
      readonly config: DeepReadonly<C>;
      /** absolute path of the file read, if any */
      readonly file: string | undefined;
      /** where the value at a key path came from ("dispatcher.sets[2].uri"), for problems found after loading */
      origin(path: string): Origin | undefined;
    }
  | { readonly ok: false; readonly errors: readonly ConfigError[] };

interface ParsedArgv {
  file?: string;
  sets: { path: string; value: string; raw: string }[];
  errors: ConfigError[];
}

function parseArgv(argv: readonly string[]): ParsedArgv {
  const out: ParsedArgv = { sets: [], errors: [] };
  const bad = (raw: string, message: string) => out.errors.push(configError('bad_argv', '', message, { argv: raw }));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    let name = a;
    let value: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      name = a.slice(0, eq);
      value = a.slice(eq + 1);
    }
    if (name === '--config' || name === '-c' || name === '--set') {
      if (value === undefined) {
        if (i + 1 >= argv.length) {
          bad(a, `${name} needs a value`);
          continue;
        }
        value = argv[++i];
      }
      if (name === '--set') {
        const e = value.indexOf('=');
        if (e <= 0) bad(value, '--set takes key.path=value, e.g. --set log.level=debug');
        else out.sets.push({ path: value.slice(0, e).trim(), value: value.slice(e + 1), raw: value });
      } else out.file = value;
      continue;
    }
    bad(a, `unknown argument "${a}" (known: --config <file>, --set <key.path>=<value>)`);
  }
  return out;
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}

/**
 * Reads and validates the configuration. Never throws for a configuration
 * problem: every one found is returned, each naming the file and line, the
 * SBC_* variable or the --set argument, the key path and what is wrong.
 */
export function loadConfig<const T extends readonly AnySection[] = typeof nodeSections>(opts: LoadOptions<T>): LoadResult<ConfigOf<T>> {
  const sections: readonly AnySection[] = opts.sections ?? nodeSections;
  assertDistinctSections(sections);
  const options = envOptions(sections);
  const cwd = opts.cwd ?? process.cwd();
  const errors: ConfigError[] = [];

  const args = parseArgv(opts.argv ?? []);
  errors.push(...args.errors);

  // ---- file
  const fileName = args.file ?? opts.file ?? opts.env[CONFIG_FILE_ENV];
  const file = fileName !== undefined && fileName !== '' ? resolve(cwd, fileName) : undefined;
  let root: LMap = emptyMap();
  if (file !== undefined || opts.text !== undefined) {
    let text = opts.text;
    const shown = fileName ?? '(config text)';
    if (text === undefined && file !== undefined) {
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
        errors.push(configError('file', '', `cannot read config file: ${why}`, { file: shown }));
      }
    }
    if (text !== undefined) {
      const parsed = parseYaml(text, shown);
      root = parsed.root;
      errors.push(...parsed.errors);
    }
  }

  // ---- env, then argv (later wins)
  for (const [name, value] of Object.entries(opts.env)) {
    if (!name.startsWith('SBC_') || value === undefined || name === CONFIG_FILE_ENV) continue;
    const opt = options.get(name);
    if (!opt) {
      errors.push(configError('unknown_env', '', `unknown variable${hint(name, options.keys())}`, { envVar: name }));
      continue;
    }
    overlay(root, opt, value, { envVar: name }, errors);
  }
  const byDotted = new Map<string, EnvOption>([...options.values()].map((o) => [o.dotted, o]));
  for (const s of args.sets) {
    const opt = byDotted.get(s.path);
    if (!opt) {
      errors.push(configError('bad_argv', s.path, `not a settable option${hint(s.path, byDotted.keys())}`, { argv: s.raw }));
      continue;
    }
    overlay(root, opt, s.value, { argv: s.raw }, errors);
  }

  // ---- validate every section, collecting all problems
  const ctx: ReadCtx = {
    errors,
    defaults: { hostname: opts.defaults?.hostname ?? hostname(), pid: opts.defaults?.pid ?? process.pid },
    baseDir: file !== undefined ? dirname(file) : cwd,
    cwd,
    origins: new Map(),
  };
  const names = sections.map((s) => s.name);
  for (const e of root.entries) {
    if (!names.includes(e.key)) errors.push(configError('unknown_key', e.key, `unknown section${hint(e.key, names)}`, e.keyOrigin));
  }
  const config: Record<string, unknown> = {};
  for (const sec of sections) {
    const entry = root.entries.find((e) => e.key === sec.name);
    const node: LNode = entry && !(entry.value.t === 'scalar' && entry.value.value === null) ? entry.value : emptyMap(entry?.keyOrigin ?? root.origin);
    const value = readValue(sec.field, node, [sec.name], ctx);
    if (value === INVALID) continue;
    config[sec.name] = value;
    for (const check of sec.checks) {
      for (const p of check(value)) {
        const path = p.path === '' ? sec.name : p.path.startsWith('[') ? `${sec.name}${p.path}` : `${sec.name}.${p.path}`;
        errors.push(configError('check', path, p.message, ctx.origins.get(path) ?? node.origin));
      }
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  const origins = ctx.origins;
  return {
    ok: true,
    config: deepFreeze(config) as DeepReadonly<ConfigOf<T>>,
    file,
    origin: (path: string) => origins.get(path),
  };
}

function overlay(root: LMap, opt: EnvOption, text: string, origin: Origin, errors: ConfigError[]): void {
  const node = opt.field.fromText(text, origin);
  if (typeof node === 'string') {
    errors.push(configError('type', opt.dotted, node, origin));
    return;
  }
  if (!setAt(root, opt.path, node)) {
    errors.push(configError('type', opt.dotted, `cannot apply: "${formatPath(opt.path.slice(0, -1))}" in the file is not a mapping`, origin));
  }
}
