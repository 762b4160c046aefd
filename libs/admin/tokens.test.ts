import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminTokens, createTokensFileIfMissing, parseTokens } from './tokens.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'admin-tokens-'));

describe('admin tokens', () => {
  it('parses name/role/token lines and names file:line for each problem', () => {
    expect(parseTokens('# c\n\nops admin 0123456789abcdef\nro read 0123456789abcdefX\n', 'f').map((e) => [e.name, e.role])).toEqual([['ops', 'admin'], ['ro', 'read']]);
    expect(() => parseTokens('ops admin short\nops root 0123456789abcdef\nonly-two fields\n', 'tokens')).toThrow(
      /tokens:1: token of "ops" must be at least 16[\s\S]*tokens:2: token name "ops" appears twice[\s\S]*tokens:2: role "root"[\s\S]*tokens:3: expected/,
    );
  });

  it('authenticates several tokens (rotation) and nothing else', () => {
    const file = join(dir(), 't');
    writeFileSync(file, 'old admin 0123456789abcdef-old\nnew admin 0123456789abcdef-new\n');
    const tokens = new AdminTokens({ file });
    expect(tokens.authenticate('Bearer 0123456789abcdef-old')).toEqual({ name: 'old', role: 'admin' });
    expect(tokens.authenticate('bearer 0123456789abcdef-new')).toEqual({ name: 'new', role: 'admin' });
    for (const h of [undefined, '', 'Bearer', 'Bearer ', 'Bearer 0123456789abcdef', 'Basic 0123456789abcdef-old', 'Bearer 0123456789abcdef-old extra']) {
      expect(tokens.authenticate(h), String(h)).toBeUndefined();
    }
  });

  it('picks up a changed file (rotation without restart) and keeps the old tokens when the new file is bad', () => {
    const file = join(dir(), 't');
    writeFileSync(file, 'a admin 0123456789abcdef-aaa\n');
    let now = 0;
    const errors: string[] = [];
    const tokens = new AdminTokens({ file, now: () => now, recheckMs: 1000, onReloadError: (e) => errors.push(e.message) });
    const bump = (text: string) => { writeFileSync(file, text); const t = statSync(file).mtimeMs / 1000 + 5; utimesSync(file, t, t); now += 1000; };
    bump('b admin 0123456789abcdef-bbb\n');
    expect(tokens.authenticate('Bearer 0123456789abcdef-aaa')).toBeUndefined();
    expect(tokens.authenticate('Bearer 0123456789abcdef-bbb')).toEqual({ name: 'b', role: 'admin' });
    bump('b admin short\n');
    expect(tokens.authenticate('Bearer 0123456789abcdef-bbb')).toEqual({ name: 'b', role: 'admin' });
    expect(errors[0]).toMatch(/:1: token of "b"/);
  });

  it('refuses to start on a missing file; with no file it authenticates no one', () => {
    expect(() => new AdminTokens({ file: join(dir(), 'nope') })).toThrow(/ENOENT/);
    expect(new AdminTokens().authenticate('Bearer 0123456789abcdef')).toBeUndefined();
  });

  it('creates a dev tokens file once, mode 0600, with a usable random token', () => {
    const file = join(dir(), 'sub', 'admin-tokens');
    expect(createTokensFileIfMissing(file)).toBe(true);
    expect(createTokensFileIfMissing(file)).toBe(false);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('dev '))!;
    const token = line.split(' ')[2];
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(new AdminTokens({ file }).authenticate(`Bearer ${token}`)).toEqual({ name: 'dev', role: 'admin' });
  });
});
