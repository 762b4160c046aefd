// Located nodes: the config tree before validation, every node knowing where
// it came from (file line/column, or the SBC_* variable / --set argument), so
// that a problem found deep inside a list names its line.
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { configError, type ConfigError, type Origin } from './errors.ts';

export type LNode = LScalar | LSeq | LMap;

export interface LScalar {
  readonly t: 'scalar';
  /** YAML-typed value (string, number, boolean, null); always a string when `text` */
  readonly value: unknown;
  /** true when the value is raw text from an env variable or argv (so "5060" may become a number) */
  readonly text: boolean;
  readonly origin: Origin;
}

export interface LSeq {
  readonly t: 'seq';
  readonly items: LNode[];
  readonly origin: Origin;
}

export interface LEntry {
  readonly key: string;
  readonly keyOrigin: Origin;
  value: LNode;
}

export interface LMap {
  readonly t: 'map';
  readonly entries: LEntry[];
  readonly origin: Origin;
}

export function emptyMap(origin: Origin = {}): LMap {
  return { t: 'map', entries: [], origin };
}

export function textScalar(value: string, origin: Origin): LScalar {
  return { t: 'scalar', value, text: true, origin };
}

/** Converts a plain JS value (e.g. a YAML flow value given in an env var) into located nodes sharing one origin. */
export function fromPlain(value: unknown, origin: Origin): LNode {
  if (Array.isArray(value)) return { t: 'seq', items: value.map((v) => fromPlain(v, origin)), origin };
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(([key, v]) => ({ key, keyOrigin: origin, value: fromPlain(v, origin) }));
    return { t: 'map', entries, origin };
  }
  return { t: 'scalar', value, text: false, origin };
}

export interface ParsedYaml {
  root: LMap;
  errors: ConfigError[];
}

/** Parses YAML text into located nodes. Syntax errors (and duplicate keys) come back as ConfigErrors with their line. */
export function parseYaml(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const errors: ConfigError[] = [];
  const at = (offset: number): Origin => {
    const p = lineCounter.linePos(offset);
    return { file, line: p.line, column: p.col };
  };
  for (const e of doc.errors) {
    errors.push(configError('syntax', '', `YAML: ${firstLine(e.message)}`, at(e.pos[0])));
  }
  if (errors.length > 0) return { root: emptyMap({ file }), errors };
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) return { root: emptyMap({ file, line: 1 }), errors };
  const root = convert(contents, doc, at, errors, 0);
  if (root.t !== 'map') {
    errors.push(configError('type', '', 'the file must hold a mapping of sections (node:, sip:, ...)', root.origin));
    return { root: emptyMap({ file }), errors };
  }
  return { root, errors };
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}

// Aliases can point at each other; this bounds the work on a hostile file.
const MAX_DEPTH = 64;

function convert(node: YamlNode, doc: Document, at: (offset: number) => Origin, errors: ConfigError[], depth: number): LNode {
  const origin = node.range ? at(node.range[0]) : {};
  if (depth > MAX_DEPTH) {
    errors.push(configError('syntax', '', 'YAML nesting too deep (alias loop?)', origin));
    return { t: 'scalar', value: null, text: false, origin };
  }
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (target === undefined) return { t: 'scalar', value: null, text: false, origin };
    const resolved = convert(target, doc, at, errors, depth + 1);
    return { ...resolved, origin } as LNode;
  }
  if (isScalar(node)) return { t: 'scalar', value: node.value, text: false, origin };
  if (isSeq(node)) {
    const items = node.items.map((it) =>
      it === null || it === undefined ? ({ t: 'scalar', value: null, text: false, origin } as LNode) : convert(it as YamlNode, doc, at, errors, depth + 1),
    );
    return { t: 'seq', items, origin };
  }
  if (isMap(node)) {
    const entries: LEntry[] = [];
    for (const pair of node.items) {
      const k = pair.key as YamlNode | null;
      const keyOrigin = k && k.range ? at(k.range[0]) : origin;
      if (!isScalar(k) || k.value === null || typeof k.value === 'object') {
        errors.push(configError('syntax', '', 'map keys must be plain names', keyOrigin));
        continue;
      }
      const v = pair.value as YamlNode | null;
      const value: LNode = v === null || v === undefined ? { t: 'scalar', value: null, text: false, origin: keyOrigin } : convert(v, doc, at, errors, depth + 1);
      entries.push({ key: String(k.value), keyOrigin, value });
    }
    return { t: 'map', entries, origin };
  }
  return { t: 'scalar', value: null, text: false, origin };
}

/** Places `node` at `path` inside `root`, creating maps on the way. Returns false when a non-map is in the way. */
export function setAt(root: LMap, path: readonly string[], node: LNode): boolean {
  let cur: LMap = root;
  for (let i = 0; i < path.length; i++) {
    const key = path[i];
    const last = i === path.length - 1;
    let entry = cur.entries.find((e) => e.key === key);
    if (last) {
      if (entry) entry.value = node;
      else cur.entries.push({ key, keyOrigin: node.origin, value: node });
      return true;
    }
    if (!entry) {
      entry = { key, keyOrigin: node.origin, value: emptyMap(node.origin) };
      cur.entries.push(entry);
    }
    if (entry.value.t === 'scalar' && entry.value.value === null) entry.value = emptyMap(entry.value.origin);
    if (entry.value.t !== 'map') return false;
    cur = entry.value;
  }
  return true;
}

export function describeNode(node: LNode): string {
  if (node.t === 'seq') return 'a list';
  if (node.t === 'map') return 'a mapping';
  const v = node.value;
  if (node.text) return JSON.stringify(v);
  if (v === null) return 'nothing';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v === 'number') return `number ${v}`;
  if (typeof v === 'boolean') return `boolean ${v}`;
  return typeof v;
}
