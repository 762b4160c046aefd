// Scalar field types: string, int, bool, duration, enum, host:port, url, path.
// YAML values must have the right YAML type (a quoted "5060" is not a port);
// text from SBC_* variables and --set is converted ("5060" -> 5060).
import { isAbsolute, resolve } from 'node:path';
import { hint } from './suggest.ts';
import {
  INVALID,
  expectScalar,
  got,
  makeField,
  push,
  type Field,
  type FieldOptions,
  type Invalid,
  type IsOptional,
  type Path,
  type ReadCtx,
} from './field.ts';
import type { LNode } from './lnode.ts';

const isScalarNode = (n: LNode) => n.t === 'scalar';

function rangeText(min?: number, max?: number, unit = ''): string {
  if (min !== undefined && max !== undefined) return ` ${min}${unit}..${max}${unit}`;
  if (min !== undefined) return ` >= ${min}${unit}`;
  if (max !== undefined) return ` <= ${max}${unit}`;
  return '';
}

function checkRange(v: number, min: number | undefined, max: number | undefined, path: Path, node: LNode, ctx: ReadCtx, unit = ''): number | Invalid {
  if ((min !== undefined && v < min) || (max !== undefined && v > max)) {
    const shown = ctx.hide ? '' : ` (got ${v}${unit})`;
    return push(ctx, 'range', path, `must be${rangeText(min, max, unit)}${shown}`, node.origin);
  }
  return v;
}

// ------------------------------------------------------------------ string

export interface StringOptions extends FieldOptions<string> {
  /** reject "" */
  readonly nonEmpty?: boolean;
  readonly pattern?: RegExp;
  /** what the pattern means, for the error message: "letters, digits, '-' and '_'" */
  readonly patternDoc?: string;
}

export function string<const O extends StringOptions>(opts: O): Field<string, IsOptional<O>> {
  return makeField<string, IsOptional<O>>(
    {
      kind: 'string',
      typeName: 'string',
      accepts: isScalarNode,
      read(node, path, ctx) {
        const s = expectScalar(node, path, ctx, 'a string');
        if (s === INVALID) return s;
        if (typeof s.value !== 'string') {
          const quote = typeof s.value === 'number' || typeof s.value === 'boolean' ? ` (write it in quotes: "${ctx.hide ? '...' : String(s.value)}")` : '';
          return push(ctx, 'type', path, `expected a string, ${got(node, ctx)}${quote}`, node.origin);
        }
        if (opts.nonEmpty && s.value === '') return push(ctx, 'type', path, 'must not be empty', node.origin);
        if (opts.pattern && !opts.pattern.test(s.value)) {
          const shown = ctx.hide ? '' : ` (got ${JSON.stringify(s.value)})`;
          return push(ctx, 'type', path, `may only hold ${opts.patternDoc ?? `text matching ${opts.pattern}`}${shown}`, node.origin);
        }
        return s.value;
      },
    },
    opts,
  );
}

// ------------------------------------------------------------------ int

export interface IntOptions extends FieldOptions<number> {
  readonly min?: number;
  readonly max?: number;
}

export function int<const O extends IntOptions>(opts: O): Field<number, IsOptional<O>> {
  return makeField<number, IsOptional<O>>(
    {
      kind: 'int',
      typeName: `integer${rangeText(opts.min, opts.max)}`,
      accepts: isScalarNode,
      read(node, path, ctx) {
        const s = expectScalar(node, path, ctx, 'an integer');
        if (s === INVALID) return s;
        let v: number | undefined;
        if (s.text && typeof s.value === 'string' && /^[+-]?\d{1,15}$/.test(s.value.trim())) v = Number(s.value.trim());
        else if (!s.text && typeof s.value === 'number' && Number.isInteger(s.value)) v = s.value;
        if (v === undefined) {
          const quoted = !s.text && typeof s.value === 'string' && /^[+-]?\d+$/.test(s.value.trim()) ? ' (write it without quotes)' : '';
          return push(ctx, 'type', path, `expected an integer, ${got(node, ctx)}${quoted}`, node.origin);
        }
        return checkRange(v, opts.min, opts.max, path, node, ctx);
      },
    },
    opts,
  );
}

// ------------------------------------------------------------------ bool

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);

export function bool<const O extends FieldOptions<boolean>>(opts: O): Field<boolean, IsOptional<O>> {
  return makeField<boolean, IsOptional<O>>(
    {
      kind: 'bool',
      typeName: 'boolean',
      accepts: isScalarNode,
      read(node, path, ctx) {
        const s = expectScalar(node, path, ctx, 'true or false');
        if (s === INVALID) return s;
        if (!s.text && typeof s.value === 'boolean') return s.value;
        if (s.text && typeof s.value === 'string') {
          const w = s.value.trim().toLowerCase();
          if (TRUE_WORDS.has(w)) return true;
          if (FALSE_WORDS.has(w)) return false;
        }
        return push(ctx, 'type', path, `expected true or false, ${got(node, ctx)}`, node.origin);
      },
    },
    opts,
  );
}

// ------------------------------------------------------------------ duration

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "500ms", "2s", "1m30s", "1h" or a plain number of milliseconds -> ms; undefined if malformed. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (/^\d{1,15}$/.test(s)) return Number(s);
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * UNIT_MS[m[2]];
  return Math.round(total);
}

export interface DurationOptions extends FieldOptions<number> {
  /** ms */
  readonly min?: number;
  /** ms */
  readonly max?: number;
}

/** A duration, read as milliseconds. */
export function duration<const O extends DurationOptions>(opts: O): Field<number, IsOptional<O>> {
  return makeField<number, IsOptional<O>>(
    {
      kind: 'duration',
      typeName: `duration${rangeText(opts.min, opts.max, 'ms')}`,
      accepts: isScalarNode,
      read(node, path, ctx) {
        const expected = 'a duration like "500ms", "2s", "1m" or a number of milliseconds';
        const s = expectScalar(node, path, ctx, expected);
        if (s === INVALID) return s;
        let v: number | undefined;
        if (typeof s.value === 'number' && !s.text && Number.isInteger(s.value) && s.value >= 0) v = s.value;
        else if (typeof s.value === 'string') v = parseDuration(s.value);
        if (v === undefined) return push(ctx, 'type', path, `expected ${expected}, ${got(node, ctx)}`, node.origin);
        return checkRange(v, opts.min, opts.max, path, node, ctx, 'ms');
      },
    },
    opts,
  );
}

// ------------------------------------------------------------------ enum

export function enumOf<const V extends readonly (string | number)[], const O extends FieldOptions<V[number]>>(
  values: V,
  opts: O,
): Field<V[number], IsOptional<O>> {
  const shown = values.map((v) => (typeof v === 'string' ? `"${v}"` : String(v)));
  return makeField<V[number], IsOptional<O>>(
    {
      kind: 'enum',
      typeName: shown.join(' | '),
      accepts: isScalarNode,
      read(node, path, ctx) {
        const s = expectScalar(node, path, ctx, `one of ${shown.join(', ')}`);
        if (s === INVALID) return s;
        const found = s.text ? values.find((v) => String(v) === String(s.value).trim()) : values.find((v) => v === s.value);
        if (found !== undefined) return found;
        const h = typeof s.value === 'string' ? hint(s.value, values.map(String)) : '';
        const quoteHint =
          !s.text && typeof s.value === 'string' && values.some((v) => typeof v === 'number' && String(v) === s.value) ? ' (write it without quotes)' : '';
        return push(ctx, 'enum', path, `must be one of ${shown.join(', ')}, ${got(node, ctx)}${h}${quoteHint}`, node.origin);
      },
    },
    opts,
  );
}

// ------------------------------------------------------------------ host:port

export interface HostPort {
  /** as written; IPv6 without brackets */
  readonly host: string;
  readonly port: number;
}

/** "127.0.0.1:5060", "sbc.example.com:5060", "[::1]:5060" -> HostPort; a string result is the problem. */
export function parseHostPort(text: string): HostPort | string {
  const s = text.trim();
  let host: string;
  let rest: string;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return 'unclosed "[" in IPv6 address';
    host = s.slice(1, close);
    rest = s.slice(close + 1);
    if (!/^[0-9a-fA-F:.]+$/.test(host) || !host.includes(':')) return `"${host}" is not an IPv6 address`;
  } else {
    const i = s.lastIndexOf(':');
    if (i < 0) return 'missing ":port"';
    host = s.slice(0, i);
    rest = s.slice(i);
    if (host.includes(':')) return 'an IPv6 address must be written in brackets: "[::1]:5060"';
    if (!/^[A-Za-z0-9._-]+$/.test(host)) return `"${host}" is not a host name or IPv4 address`;
  }
  if (!/^:\d{1,5}$/.test(rest)) return 'missing or malformed ":port"';
  const port = Number(rest.slice(1));
  if (port < 1 || port > 65535) return `port ${port} is outside 1..65535`;
  return { host, port };
}

export function hostPort<const O extends FieldOptions<HostPort>>(opts: O): Field<HostPort, IsOptional<O>> {
  return makeField<HostPort, IsOptional<O>>(
    {
      kind: 'hostPort',
      typeName: 'host:port',
      accepts: isScalarNode,
      read(node, path, ctx) {
        const s = expectScalar(node, path, ctx, 'a "host:port" string');
        if (s === INVALID) return s;
        if (typeof s.value !== 'string') return push(ctx, 'type', path, `expected a "host:port" string, ${got(node, ctx)}`, node.origin);
        const hp = parseHostPort(s.value);
        if (typeof hp === 'string') return push(ctx, 'type', path, `${hp} (expected "host:port", e.g. "203.0.113.10:5060")`, node.origin);
        return hp;
      },
    },
    opts,
  );
}

// ------------------------------------------------------------------ url

export interface UrlOptions extends FieldOptions<string> {
  /** allowed schemes with the colon: ["redis:", "rediss:"] */
  readonly protocols: readonly string[];
}

export function url<const O extends UrlOptions>(opts: O): Field<string, IsOptional<O>> {
  const schemes = opts.protocols.map((p) => `${p}//`).join(' or ');
  return makeField<string, IsOptional<O>>(
    {
      kind: 'url',
      typeName: `URL (${schemes})`,
      accepts: isScalarNode,
      read(node, path, ctx) {
        const s = expectScalar(node, path, ctx, `a ${schemes} URL`);
        if (s === INVALID) return s;
        if (typeof s.value !== 'string') return push(ctx, 'type', path, `expected a ${schemes} URL, ${got(node, ctx)}`, node.origin);
        let u: URL;
        try {
          u = new URL(s.value.trim());
        } catch {
          return push(ctx, 'type', path, `not a valid URL${ctx.hide ? '' : ` (got ${JSON.stringify(s.value)})`}`, node.origin);
        }
        if (!opts.protocols.includes(u.protocol)) return push(ctx, 'type', path, `must start with ${schemes} (got "${u.protocol}//")`, node.origin);
        if (u.hostname === '') return push(ctx, 'type', path, 'URL has no host', node.origin);
        return s.value.trim();
      },
    },
    opts,
  );
}

// ------------------------------------------------------------------ path

/**
 * A file path. Relative paths written in the config file are resolved from
 * the file's folder (so a deployment folder can be moved as a whole); relative
 * paths from env/argv from the working directory. The value is absolute.
 */
export function filePath<const O extends FieldOptions<string>>(opts: O): Field<string, IsOptional<O>> {
  return makeField<string, IsOptional<O>>(
    {
      kind: 'path',
      typeName: 'file path',
      accepts: isScalarNode,
      read(node, path, ctx) {
        const s = expectScalar(node, path, ctx, 'a file path');
        if (s === INVALID) return s;
        if (typeof s.value !== 'string' || s.value.trim() === '') return push(ctx, 'type', path, `expected a file path, ${got(node, ctx)}`, node.origin);
        const p = s.value.trim();
        if (isAbsolute(p)) return p;
        return resolve(node.origin.file !== undefined ? ctx.baseDir : ctx.cwd, p);
      },
    },
    opts,
  );
}
