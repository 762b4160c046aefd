import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { paramsFor, parseArgs, tokenFromFile } from './main.ts';
import { render } from './table.ts';

const setState = { name: 'dispatcher.set_state', help: '', mutates: true, params: { state: 's', group: 'g', address: 'a' } };

describe('sbcctl arguments', () => {
  it('fills parameters in order, by name=value, and reads JSON values', () => {
    expect(paramsFor(setState, ['ip', '1', 'sip:10.0.0.1:5060'])).toEqual({ state: 'ip', group: 1, address: 'sip:10.0.0.1:5060' });
    expect(paramsFor(setState, ['address=sip:x', 'd', '2'])).toEqual({ state: 'd', group: 2, address: 'sip:x' });
    expect(() => paramsFor(setState, ['a', '1', 'x', 'extra'])).toThrow(/one too many/);
    // a value with "=" that is not a parameter name stays a positional value
    expect(paramsFor({ ...setState, params: { doc: 'd' } }, ['a=b'])).toEqual({ doc: 'a=b' });
  });

  it('sends a file\'s text for name=@FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbcctl-'));
    writeFileSync(join(dir, 'users.txt'), 'alice@example.com pw\n');
    const imp = { name: 'subscriber.import', help: '', mutates: true, params: { text: 't' } };
    expect(paramsFor(imp, [`text=@${join(dir, 'users.txt')}`])).toEqual({ text: 'alice@example.com pw\n' });
    expect(() => paramsFor(imp, [`text=@${join(dir, 'missing')}`])).toThrow(/cannot read/);
  });

  it('takes URL and token from flags over env, and a token from a tokens file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbcctl-'));
    const f = join(dir, 'tokens');
    writeFileSync(f, '# comment\nops admin tok-0123456789abcdef\nother read x\n');
    expect(tokenFromFile(f)).toBe('tok-0123456789abcdef');
    writeFileSync(join(dir, 'bare'), 'bare-token\n');
    expect(tokenFromFile(join(dir, 'bare'))).toBe('bare-token');
    const o = parseArgs(['--url', 'http://h:1', '--json', 'core.info'], { SBCCTL_URL: 'http://env:2', SBCCTL_TOKEN_FILE: f });
    expect(o).toEqual({ endpoint: { url: 'http://h:1', token: 'tok-0123456789abcdef', timeoutMs: 10_000 }, json: true, words: ['core.info'] });
    expect(parseArgs(['x.y'], { SBCCTL_TOKEN: 'envtok' }).endpoint.token).toBe('envtok');
    expect(() => parseArgs(['--bogus'], {})).toThrow(/unknown option/);
  });
});

describe('sbcctl tables', () => {
  it('prints lists of records as aligned tables, nested lists flattened into rows', () => {
    const text = render({ sets: [{ id: 1, destinations: [{ uri: 'sip:a', state: 'active' }, { uri: 'sip:bb', state: 'inactive' }] }] });
    expect(text.split('\n')).toEqual(['ID  URI     STATE', '1   sip:a   active', '1   sip:bb  inactive']);
    expect(render([])).toBe('(none)');
    expect(render({ node: 'n1', up: true })).toBe('node  n1\nup    true');
  });
});
