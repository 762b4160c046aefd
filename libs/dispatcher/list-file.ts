// Kamailio dispatcher.list: one destination per line,
//   setid destination [flags [priority [attrs]]]
// with '#' comments and blank lines. Tokens only here; URIs and attrs are
// checked by buildDestinationSets, which gives both the file line.
import { configError, type ConfigError } from '#libs/config';
import type { AttrsInput } from './attrs.ts';
import type { DestinationSource } from './types.ts';

/** One destination as defined, before checks: a list line or an inline config entry. */
export interface DestinationEntry {
  readonly setId: number;
  readonly uri: string;
  readonly flags: number;
  readonly priority: number;
  readonly attrs: AttrsInput;
  readonly source: DestinationSource;
}

export interface ParsedList {
  readonly entries: DestinationEntry[];
  readonly errors: ConfigError[];
}

const MAX_INT = 2_147_483_647;

export function parseDispatcherList(text: string, file: string): ParsedList {
  const entries: DestinationEntry[] = [];
  const errors: ConfigError[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const bad = (message: string) => errors.push(configError('check', '', message, { file, line }));
    const all = raw.trim() === '' ? [] : raw.trim().split(/\s+/);
    const c = all.findIndex((tok) => tok.startsWith('#'));
    const tokens = c < 0 ? all : all.slice(0, c);
    if (tokens.length === 0) return;
    const [setTok, uri, flagsTok, prioTok, attrs, ...rest] = tokens;
    if (!/^\d{1,10}$/.test(setTok) || Number(setTok) > MAX_INT) return void bad(`set id must be a non-negative integer, got "${setTok}"`);
    if (uri === undefined) return void bad('missing destination URI after the set id');
    let flags = 0;
    if (flagsTok !== undefined) {
      if (!/^\d{1,2}$/.test(flagsTok) || Number(flagsTok) > 31)
        return void bad(`flags must be 0..31 (1 inactive, 2 trying, 4 disabled, 8 probing, 16 no DNS), got "${flagsTok}"`);
      flags = Number(flagsTok);
    }
    let priority = 0;
    if (prioTok !== undefined) {
      if (!/^\d{1,10}$/.test(prioTok) || Number(prioTok) > MAX_INT) return void bad(`priority must be a non-negative integer, got "${prioTok}"`);
      priority = Number(prioTok);
    }
    if (rest.length > 0) return void bad(`unexpected "${rest[0]}" after the attrs (attrs are one word: name=value;name=value)`);
    entries.push({ setId: Number(setTok), uri, flags, priority, attrs: attrs ?? '', source: { file, line } });
  });
  return { entries, errors };
}
