// Composite field types: list, map, object, union.
import { parse as parseYamlValue } from 'yaml';
import { hint } from './suggest.ts';
import {
  INVALID,
  defaultValue,
  formatPath,
  got,
  makeField,
  push,
  readValue,
  type AnyField,
  type Field,
  type FieldOptions,
  type InferField,
  type InferSchema,
  type Invalid,
  type IsOptional,
  type Path,
  type ReadCtx,
  type Schema,
} from './field.ts';
import { fromPlain, textScalar, type LMap, type LNode } from './lnode.ts';
import type { Origin } from './errors.ts';

/** Env text that starts like YAML flow ("[...]" / "{...}") is parsed as YAML. */
function flowNode(text: string, origin: Origin): LNode | string | undefined {
  const s = text.trim();
  if (!s.startsWith('[') && !s.startsWith('{')) return undefined;
  try {
    return fromPlain(parseYamlValue(s), origin);
  } catch (err) {
    return `not valid YAML flow syntax: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
}

/** "" -> an empty null scalar, so "missing" logic applies */
function isNull(node: LNode): boolean {
  return node.t === 'scalar' && node.value === null;
}

// ------------------------------------------------------------------ list

export interface ListOptions<T> extends FieldOptions<T> {
  readonly minItems?: number;
  readonly maxItems?: number;
}

/**
 * A list. From an SBC_* variable: comma-separated items ("udp:127.0.0.1:5060,tcp:127.0.0.1:5060")
 * or YAML flow ("[500, 503]"). An empty variable is an empty list.
 */
export function list<I extends AnyField, const O extends ListOptions<readonly InferField<I>[]>>(
  item: I,
  opts: O,
): Field<readonly InferField<I>[], IsOptional<O>> {
  type T = readonly InferField<I>[];
  return makeField<T, IsOptional<O>>(
    {
      kind: 'list',
      typeName: `list of ${item.typeName}`,
      item,
      accepts: (n) => n.t === 'seq',
      read(node, path, ctx) {
        if (node.t !== 'seq') return push(ctx, 'type', path, `expected a list, ${got(node, ctx)}`, node.origin);
        const out: InferField<I>[] = [];
        let bad = false;
        node.items.forEach((it, i) => {
          if (isNull(it)) {
            bad = true;
            push(ctx, 'missing', [...path, i], 'empty list item', it.origin);
            return;
          }
          const v = readValue(item, it, [...path, i], ctx);
          if (v === INVALID) bad = true;
          else out.push(v as InferField<I>);
        });
        if (bad) return INVALID;
        if (opts.minItems !== undefined && out.length < opts.minItems)
          return push(ctx, 'range', path, `needs at least ${opts.minItems} item${opts.minItems === 1 ? '' : 's'}`, node.origin);
        if (opts.maxItems !== undefined && out.length > opts.maxItems) return push(ctx, 'range', path, `holds at most ${opts.maxItems} items`, node.origin);
        return out;
      },
      fromText(text, origin) {
        const flow = flowNode(text, origin);
        if (flow !== undefined) return flow;
        const parts = text.split(',').map((p) => p.trim());
        const items = parts.length === 1 && parts[0] === '' ? [] : parts.map((p) => item.fromText(p, origin));
        const err = items.find((x): x is string => typeof x === 'string');
        if (err !== undefined) return err;
        return { t: 'seq', items: items as LNode[], origin };
      },
    },
    opts,
  );
}

// ------------------------------------------------------------------ map

/** A mapping of free-form keys to values of one type. From env: "a=1,b=2" or YAML flow "{a: 1}". */
export function map<I extends AnyField, const O extends FieldOptions<Readonly<Record<string, InferField<I>>>>>(
  item: I,
  opts: O,
): Field<Readonly<Record<string, InferField<I>>>, IsOptional<O>> {
  type T = Readonly<Record<string, InferField<I>>>;
  return makeField<T, IsOptional<O>>(
    {
      kind: 'map',
      typeName: `map of ${item.typeName}`,
      item,
      accepts: (n) => n.t === 'map',
      read(node, path, ctx) {
        if (node.t !== 'map') return push(ctx, 'type', path, `expected a mapping (key: value), ${got(node, ctx)}`, node.origin);
        const out: Record<string, InferField<I>> = {};
        let bad = false;
        for (const e of node.entries) {
          if (isNull(e.value)) {
            bad = true;
            push(ctx, 'missing', [...path, e.key], 'has no value', e.keyOrigin);
            continue;
          }
          const v = readValue(item, e.value, [...path, e.key], ctx);
          if (v === INVALID) bad = true;
          else out[e.key] = v as InferField<I>;
        }
        return bad ? INVALID : out;
      },
      fromText(text, origin) {
        const flow = flowNode(text, origin);
        if (flow !== undefined) return flow;
        const m: LMap = { t: 'map', entries: [], origin };
        for (const part of text.split(',')) {
          if (part.trim() === '') continue;
          const eq = part.indexOf('=');
          if (eq <= 0) return `expected "key=value" pairs separated by commas, got "${part.trim()}"`;
          const v = item.fromText(part.slice(eq + 1).trim(), origin);
          if (typeof v === 'string') return v;
          m.entries.push({ key: part.slice(0, eq).trim(), keyOrigin: origin, value: v });
        }
        return m;
      },
    },
    opts,
  );
}

// ------------------------------------------------------------------ object

export interface ObjectOptions<T> extends Omit<FieldOptions<T>, 'default' | 'optional'> {
  /** short string form, e.g. "udp:127.0.0.1:5060" for a socket; returns the object or a problem */
  readonly shorthand?: { readonly doc: string; parse(text: string): Record<string, unknown> | string };
  /** Name shown for the type in docs ("socket"); default "object". */
  readonly typeName?: string;
  /** keys renamed since: old name -> current name; the old one is still read (config files written before the rename) */
  readonly renamed?: Readonly<Record<string, string>>;
}

/** Reads the fields of `schema` from a mapping node: unknown keys, missing keys, defaults. */
export function readObject<S extends Schema>(schema: S, node: LMap, path: Path, ctx: ReadCtx, renamed?: Readonly<Record<string, string>>): InferSchema<S> | Invalid {
  const out: Record<string, unknown> = {};
  let bad = false;
  const known = Object.keys(schema);
  const byKey = new Map<string, LMap['entries'][number]>();
  for (const e of node.entries) {
    const key = renamed?.[e.key] ?? e.key;
    if (!(key in schema)) {
      bad = true;
      push(ctx, 'unknown_key', [...path, e.key], `unknown key${hint(e.key, known)}`, e.keyOrigin);
      continue;
    }
    if (byKey.has(key)) {
      bad = true;
      push(ctx, 'type', [...path, e.key], `"${e.key}" is the old name of "${key}": give only one of them`, e.keyOrigin);
      continue;
    }
    byKey.set(key, e);
  }
  for (const key of known) {
    const field = schema[key];
    const entry = byKey.get(key);
    if (entry && !isNull(entry.value)) {
      const v = readValue(field, entry.value, [...path, key], ctx);
      if (v === INVALID) bad = true;
      else out[key] = v;
      continue;
    }
    const d = defaultValue(field, ctx);
    if (d !== undefined) out[key] = d;
    else if (field.kind === 'object' && !field.optional) {
      // an absent section or sub-object is all its defaults
      const v = readValue(field, { t: 'map', entries: [], origin: entry?.keyOrigin ?? node.origin }, [...path, key], ctx);
      if (v === INVALID) bad = true;
      else out[key] = v;
    } else if (!field.optional) {
      bad = true;
      push(ctx, 'missing', [...path, key], `is required (${field.typeName})`, entry?.keyOrigin ?? node.origin);
    }
  }
  return bad ? INVALID : (out as InferSchema<S>);
}

export function object<const S extends Schema, const O extends ObjectOptions<InferSchema<S>>>(fields: S, opts: O): Field<InferSchema<S>, false> {
  type T = InferSchema<S>;
  const sh = opts.shorthand;
  return makeField<T, false>(
    {
      kind: 'object',
      typeName: opts.typeName ?? 'object',
      fields,
      accepts: (n) => n.t === 'map' || (sh !== undefined && n.t === 'scalar' && typeof n.value === 'string'),
      read(node, path, ctx) {
        if (node.t === 'scalar' && sh && typeof node.value === 'string') {
          const parsed = sh.parse(node.value);
          if (typeof parsed === 'string') return push(ctx, 'type', path, parsed, node.origin);
          node = fromPlain(parsed, node.origin);
        }
        if (node.t !== 'map') {
          const alt = sh ? ` or ${sh.doc}` : '';
          return push(ctx, 'type', path, `expected a mapping${alt}, ${got(node, ctx)}`, node.origin);
        }
        return readObject(fields, node, path, ctx, opts.renamed);
      },
      fromText(text, origin) {
        const flow = flowNode(text, origin);
        if (flow !== undefined) return flow;
        if (sh) return textScalar(text.trim(), origin);
        return 'expected YAML flow syntax: "{key: value, ...}"';
      },
    },
    opts,
  );
}

// ------------------------------------------------------------------ union

/** One of several types; the first alternative that reads the value wins. */
export function union<const A extends readonly AnyField[], const O extends FieldOptions<InferField<A[number]>>>(
  alternatives: A,
  opts: O,
): Field<InferField<A[number]>, IsOptional<O>> {
  type T = InferField<A[number]>;
  const typeName = alternatives.map((a) => a.typeName).join(' or ');
  return makeField<T, IsOptional<O>>(
    {
      kind: 'union',
      typeName,
      alternatives,
      accepts: (n) => alternatives.some((a) => a.accepts(n)),
      read(node, path, ctx) {
        const fitting = alternatives.filter((a) => a.accepts(node));
        if (fitting.length === 0) return push(ctx, 'type', path, `expected ${typeName}, ${got(node, ctx)}`, node.origin);
        let firstErrors: ReadCtx['errors'] | undefined;
        for (const alt of fitting) {
          const trial: ReadCtx = { ...ctx, errors: [] };
          const v = readValue(alt, node, path, trial);
          if (v !== INVALID) return v as T;
          firstErrors ??= trial.errors;
        }
        if (fitting.length === 1 && firstErrors) {
          ctx.errors.push(...firstErrors);
          return INVALID;
        }
        return push(ctx, 'type', path, `expected ${typeName}, ${got(node, ctx)}`, node.origin);
      },
      fromText(text, origin) {
        return flowNode(text, origin) ?? textScalar(text, origin);
      },
    },
    opts,
  );
}

export { formatPath };
