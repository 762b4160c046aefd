// The field contract every schema type implements, and the one place that
// reads a present value, runs its custom check and records where it came from.
import { configError, type ConfigError, type Origin } from './errors.ts';
import { describeNode, type LNode, type LScalar } from './lnode.ts';

/** Values a default may depend on; passed in so libs never look at the machine themselves. */
export interface DefaultsContext {
  readonly hostname: string;
  readonly pid: number;
}

export interface ReadCtx {
  readonly errors: ConfigError[];
  readonly defaults: DefaultsContext;
  /** folder of the config file: relative paths written in the file resolve from here */
  readonly baseDir: string;
  /** relative paths given in env / argv resolve from here */
  readonly cwd: string;
  /** path -> origin of every value read, for later lookups (dispatcher errors name their YAML line) */
  readonly origins: Map<string, Origin>;
  /** true inside a secret field: error messages must not echo the value */
  readonly hide?: boolean;
}

export const INVALID: unique symbol = Symbol('invalid');
export type Invalid = typeof INVALID;

export type PathSeg = string | number;
export type Path = readonly PathSeg[];

/** ["dispatcher", "sets", 0, "uri"] -> "dispatcher.sets[0].uri" */
export function formatPath(p: Path): string {
  let s = '';
  for (const seg of p) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else s += s === '' ? seg : `.${seg}`;
  }
  return s;
}

/** A custom check: return a message (or several) saying what is wrong, or nothing. */
export type Check<T> = (value: T) => string | readonly string[] | undefined;

export type DefaultOf<T> = T | ((ctx: DefaultsContext) => T);

export interface FieldOptions<T> {
  /** What the option does; required, shown in docs/config.md. */
  readonly doc: string;
  readonly default?: DefaultOf<T>;
  /** Docs text for the default when it is computed (e.g. "hostname-pid"). */
  readonly defaultDoc?: string;
  /** No default and may be left out: the value is then undefined. */
  readonly optional?: boolean;
  readonly check?: Check<T>;
  /** false: no SBC_* variable for this option. Default true. */
  readonly env?: boolean;
  /** never echoed in error messages, shown as "(secret)" in docs */
  readonly secret?: boolean;
}

export type FieldKind =
  | 'string'
  | 'int'
  | 'bool'
  | 'duration'
  | 'enum'
  | 'hostPort'
  | 'url'
  | 'path'
  | 'list'
  | 'map'
  | 'object'
  | 'union';

export interface Field<T = unknown, O extends boolean = boolean> {
  readonly kind: FieldKind;
  /** type as shown in docs and errors: "integer 1..65535", "duration", "list of socket" */
  readonly typeName: string;
  readonly doc: string;
  readonly optional: O;
  readonly secret: boolean;
  readonly env: boolean;
  readonly default?: DefaultOf<T>;
  readonly defaultDoc?: string;
  readonly check?: Check<T>;
  /** object fields: the children */
  readonly fields?: Schema;
  /** list items / map values */
  readonly item?: AnyField;
  /** union alternatives */
  readonly alternatives?: readonly AnyField[];
  /** whether the node has a shape this field can read (unions pick an alternative with it) */
  accepts(node: LNode): boolean;
  /** Reads a present, non-null node. Pushes problems into ctx.errors and returns INVALID on failure. */
  read(node: LNode, path: Path, ctx: ReadCtx): T | Invalid;
  /** Turns an SBC_* variable's (or --set's) text into a node; a string result is an error message. */
  fromText(text: string, origin: Origin): LNode | string;
  /** phantom, for type inference only */
  readonly __type?: T;
}

// biome-ignore lint: any is needed to accept every field in a schema
export type AnyField = Field<any, boolean>;

export type Schema = { readonly [key: string]: AnyField };

export type InferField<F> = F extends Field<infer T, infer O> ? (O extends true ? T | undefined : T) : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The typed, read-only value of an object schema. Optional fields become optional properties. */
export type InferSchema<S extends Schema> = Simplify<
  { readonly [K in keyof S as S[K] extends OptionalField ? never : K]: InferField<S[K]> } & {
    readonly [K in keyof S as S[K] extends OptionalField ? K : never]?: InferField<S[K]>;
  }
>;

// biome-ignore lint: any, because Field is invariant in T
type OptionalField = Field<any, true>;

export type IsOptional<O> = O extends { optional: true } ? true : false;

/** Reads a present value with the field, runs its check, records its origin. */
export function readValue<T>(field: Field<T>, node: LNode, path: Path, ctx: ReadCtx): T | Invalid {
  const c = field.secret && !ctx.hide ? { ...ctx, hide: true } : ctx;
  c.origins.set(formatPath(path), node.origin);
  const v = field.read(node, path, c);
  if (v === INVALID || !field.check) return v;
  const res = field.check(v);
  const msgs = res === undefined ? [] : typeof res === 'string' ? [res] : res;
  for (const m of msgs) c.errors.push(configError('check', formatPath(path), m, node.origin));
  return msgs.length > 0 ? INVALID : v;
}

/** The default of a field, computed when it is a function. */
export function defaultValue<T>(field: Field<T>, ctx: { defaults: DefaultsContext }): T | undefined {
  const d = field.default;
  if (d === undefined) return undefined;
  return typeof d === 'function' ? (d as (c: DefaultsContext) => T)(ctx.defaults) : d;
}

export function push(ctx: ReadCtx, code: ConfigError['code'], path: Path, message: string, origin: Origin): Invalid {
  ctx.errors.push(configError(code, formatPath(path), message, origin));
  return INVALID;
}

/** "got string \"abc\"" — or just "got a value" inside secrets */
export function got(node: LNode, ctx: ReadCtx): string {
  if (ctx.hide && node.t === 'scalar') return 'got a value of the wrong form';
  return `got ${describeNode(node)}`;
}

/** Ensures a scalar node; pushes a type error otherwise. */
export function expectScalar(node: LNode, path: Path, ctx: ReadCtx, expected: string): LScalar | Invalid {
  if (node.t === 'scalar') return node;
  return push(ctx, 'type', path, `expected ${expected}, ${got(node, ctx)}`, node.origin);
}

/** Shared plumbing for field builders. */
export function makeField<T, O extends boolean>(
  spec: {
    kind: FieldKind;
    typeName: string;
    accepts: (node: LNode) => boolean;
    read: (node: LNode, path: Path, ctx: ReadCtx) => T | Invalid;
    fromText?: (text: string, origin: Origin) => LNode | string;
    fields?: Schema;
    item?: AnyField;
    alternatives?: readonly AnyField[];
  },
  opts: FieldOptions<T>,
): Field<T, O> {
  if (typeof opts.doc !== 'string') throw new TypeError(`${spec.typeName} field without doc text`);
  return {
    kind: spec.kind,
    typeName: spec.typeName,
    doc: opts.doc,
    optional: (opts.optional === true) as O,
    secret: opts.secret === true,
    env: opts.env !== false,
    ...(opts.default !== undefined ? { default: opts.default } : {}),
    ...(opts.defaultDoc !== undefined ? { defaultDoc: opts.defaultDoc } : {}),
    ...(opts.check !== undefined ? { check: opts.check } : {}),
    ...(spec.fields ? { fields: spec.fields } : {}),
    ...(spec.item ? { item: spec.item } : {}),
    ...(spec.alternatives ? { alternatives: spec.alternatives } : {}),
    accepts: spec.accepts,
    read: spec.read,
    fromText: spec.fromText ?? ((text, origin) => ({ t: 'scalar', value: text, text: true, origin })),
  };
}
