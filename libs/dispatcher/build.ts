// From entries (list-file lines and inline config) to checked, ordered,
// frozen destination sets; and the checks that need the whole picture
// (algorithm requirements, referenced sets, local sockets).
import { readFileSync } from 'node:fs';
import { configError, type ConfigError, type Origin } from '#libs/config';
import type { DispatcherConfig } from './config.ts';
import { parseUri } from '#libs/sip';
import { parseAttrs } from './attrs.ts';
import { parseDispatcherList, type DestinationEntry } from './list-file.ts';
import type { AlgorithmId, Destination, DestinationSet, DestinationSource } from './types.ts';

export interface LocalSocket {
  readonly proto: string;
  readonly host: string;
  readonly port: number;
}

export interface BuildOptions {
  /** origin of a config key path (LoadResult.origin), so inline entries name their YAML line */
  readonly origin?: (path: string) => Origin | undefined;
  /** the node's listen sockets: a socket attr must name one of them (as Kamailio requires) */
  readonly localSockets?: readonly LocalSocket[];
}

function whereOf(src: DestinationSource, field: string, opts: BuildOptions): { path: string; origin: Origin } {
  if (src.path === undefined) return { path: '', origin: src };
  const path = `${src.path}.${field}`;
  return { path, origin: opts.origin?.(path) ?? src };
}

function describe(src: DestinationSource): string {
  if (src.path !== undefined) return src.path;
  return src.line !== undefined ? `${src.file}:${src.line}` : String(src.file);
}

/** Checks every entry and groups them into sets: priority high to low, then definition order. */
export function buildDestinationSets(entries: readonly DestinationEntry[], opts: BuildOptions = {}): { sets: DestinationSet[]; errors: ConfigError[] } {
  const errors: ConfigError[] = [];
  const bySet = new Map<number, Destination[]>();
  const seen = new Map<string, DestinationSource>();
  for (const e of entries) {
    const bad = (field: string, message: string) => {
      const w = whereOf(e.source, field, opts);
      errors.push(configError('check', w.path, message, w.origin));
    };
    const parsed = parseUri(e.uri);
    if (!parsed) {
      const fix = /^[a-z]+:/i.test(e.uri) ? '' : ` (write "sip:${e.uri}")`;
      bad('uri', `"${e.uri}" is not a valid SIP URI${fix}`);
      continue;
    }
    if (parsed.scheme === 'tel' || parsed.host === '') {
      bad('uri', `"${e.uri}" must be a sip: or sips: URI with a host`);
      continue;
    }
    const { attrs, problems } = parseAttrs(e.attrs);
    for (const p of problems) bad('attrs', p);
    if (attrs.socket && opts.localSockets) {
      const s = attrs.socket;
      const port = s.port ?? (s.proto === 'tls' || s.proto === 'wss' ? 5061 : 5060);
      if (!opts.localSockets.some((l) => l.proto === s.proto && l.host === s.host && l.port === port))
        bad('attrs', `socket ${s.proto}:${s.host}:${port} is not one of this node's sip.listen sockets`);
    }
    const key = `${e.setId} ${e.uri}`;
    const prev = seen.get(key);
    if (prev) bad('uri', `${e.uri} is already in set ${e.setId} (${describe(prev)})`);
    seen.set(key, e.source);
    if (problems.length > 0 || prev) continue;
    const list = bySet.get(e.setId) ?? [];
    list.push({ setId: e.setId, uri: e.uri, parsed, flags: e.flags, priority: e.priority, attrs, source: e.source });
    bySet.set(e.setId, list);
  }
  const sets = [...bySet.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([id, dests]) => {
      // Array.prototype.sort is stable: equal priorities keep definition order.
      const ordered = [...dests].sort((a, b) => b.priority - a.priority);
      return Object.freeze({ id, destinations: Object.freeze(ordered.map((d) => Object.freeze(d))) });
    });
  return { sets, errors };
}

/** Attributes an algorithm needs on every destination of every set (Kamailio would silently misbehave without them). */
export function checkAlgorithm(sets: readonly DestinationSet[], algorithm: AlgorithmId, where: { path: string; origin?: Origin }): ConfigError[] {
  const need: Partial<Record<AlgorithmId, 'weight' | 'rweight' | 'duid'>> = { 9: 'weight', 10: 'duid', 11: 'rweight' };
  const attr = need[algorithm];
  if (attr === undefined) return [];
  const errors: ConfigError[] = [];
  for (const set of sets) {
    // cc=1 (congestion control) derives rweight from weight, as Kamailio does
    const missing = set.destinations.filter((d) => d.attrs[attr] === undefined && !(algorithm === 11 && d.attrs.cc === 1 && d.attrs.weight !== undefined));
    if (missing.length > 0) {
      const list = missing.map((d) => `${d.uri} (${describe(d.source)})`).join(', ');
      errors.push(configError('check', where.path, `algorithm ${algorithm} needs attr ${attr} on every destination; set ${set.id} lacks it on ${list}`, where.origin));
    }
    if (algorithm === 9) {
      const sum = set.destinations.reduce((s, d) => s + (d.attrs.weight ?? 0), 0);
      if (sum > 100) errors.push(configError('check', where.path, `weights of set ${set.id} add up to ${sum}; they are percentages and may total at most 100`, where.origin));
    }
  }
  return errors;
}

export interface LoadSetsDeps extends BuildOptions {
  /** default: fs.readFileSync(path, 'utf8') */
  readonly readFile?: (path: string) => string;
  /** other config keys naming a set that must exist, e.g. { path: 'routing.calls_set', setId: 2 } */
  readonly requiredSets?: readonly { readonly path: string; readonly setId: number }[];
}

export type LoadSetsResult = { readonly ok: true; readonly sets: DestinationSet[] } | { readonly ok: false; readonly errors: ConfigError[] };

/**
 * Reads dispatcher.list_file and the inline dispatcher.sets, checks them and
 * the algorithm's needs; every problem is returned, each with its file line.
 * With no destinations at all the dispatcher is simply unused.
 */
export function loadDispatcherSets(cfg: DispatcherConfig, deps: LoadSetsDeps = {}): LoadSetsResult {
  const errors: ConfigError[] = [];
  const entries: DestinationEntry[] = [];
  if (cfg.list_file !== undefined) {
    let text: string | undefined;
    try {
      text = (deps.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(cfg.list_file);
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
      errors.push(configError('file', 'dispatcher.list_file', `cannot read ${cfg.list_file}: ${why}`, deps.origin?.('dispatcher.list_file') ?? { file: cfg.list_file }));
    }
    if (text !== undefined) {
      const parsed = parseDispatcherList(text, cfg.list_file);
      entries.push(...parsed.entries);
      errors.push(...parsed.errors);
    }
  }
  cfg.sets.forEach((s, i) => {
    const path = `dispatcher.sets[${i}]`;
    entries.push({ setId: s.setid, uri: s.uri, flags: s.flags, priority: s.priority, attrs: s.attrs, source: { ...deps.origin?.(path), path } });
  });
  const built = buildDestinationSets(entries, deps);
  errors.push(...built.errors);
  errors.push(...checkAlgorithm(built.sets, cfg.algorithm, { path: 'dispatcher.algorithm', origin: deps.origin?.('dispatcher.algorithm') }));
  if (built.sets.length > 0) {
    const ids = new Set(built.sets.map((s) => s.id));
    const refs = [{ path: 'dispatcher.default_set', setId: cfg.default_set }, ...(deps.requiredSets ?? [])];
    for (const r of refs) {
      if (!ids.has(r.setId))
        errors.push(configError('check', r.path, `set ${r.setId} has no destinations (defined: ${[...ids].join(', ')})`, deps.origin?.(r.path)));
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, sets: built.sets };
}
