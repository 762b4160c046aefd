import { describe, expect, it } from 'vitest';
import { keySpace } from './keys.ts';

const k = keySpace('east', 'sbc');

describe('keySpace', () => {
  it('roots every key in the cluster hash tag', () => {
    expect(k.root).toBe('sbc:{east}:');
    expect(keySpace('east').root).toBe('sbc:{east}:');
    expect(keySpace('east', 'lab').root).toBe('lab:{east}:');
  });
  it('rejects cluster names and prefixes that would break the tag', () => {
    expect(() => keySpace('a}b')).toThrow(/cluster name/);
    expect(() => keySpace('')).toThrow(/cluster name/);
    expect(() => keySpace('ok', 'a:b')).toThrow(/key prefix/);
  });
  it('counterWindow', () => expect(k.counterWindow('pike', 2000, 850000123)).toBe('sbc:{east}:cnt:pike:2000:850000123'));
  it('tableEntry', () => expect(k.tableEntry('ipban', '2001:db8::1')).toBe('sbc:{east}:t:ipban:2001:db8::1'));
  it('tableEntryPrefix', () => {
    expect(k.tableEntryPrefix('ipban')).toBe('sbc:{east}:t:ipban:');
    expect(k.tableEntryPrefix('ipban') + 'x').toBe(k.tableEntry('ipban', 'x'));
  });
  it('tableIndex', () => expect(k.tableIndex('ipban')).toBe('sbc:{east}:ti:ipban'));
  it('dialog', () => expect(k.dialog('tok')).toBe('sbc:{east}:dlg:tok'));
  it('dialogBranch', () => expect(k.dialogBranch('tok', 'z9hG4bK.1')).toBe('sbc:{east}:dlgb:tok:z9hG4bK.1'));
  it('callLoad', () => expect(k.callLoad('sip:10.0.0.1:5060')).toBe('sbc:{east}:load:sip:10.0.0.1:5060'));
  it('location', () => expect(k.location('alice@example.com')).toBe('sbc:{east}:loc:alice@example.com'));
  it('locationExpiry', () => expect(k.locationExpiry('alice@example.com')).toBe('sbc:{east}:locx:alice@example.com'));
  it('configDocs', () => expect(k.configDocs()).toBe('sbc:{east}:cfg:docs'));
  it('configVersions', () => expect(k.configVersions()).toBe('sbc:{east}:cfg:ver'));
  it('keeps kinds apart: no builder output is a prefix-collision of another kind', () => {
    const all = [k.counterWindow('a', 1, 1), k.tableEntry('a', 'b'), k.tableIndex('a'), k.dialog('a'), k.dialogBranch('a', 'b'),
      k.callLoad('a'), k.location('a'), k.locationExpiry('a'), k.configDocs(), k.configVersions()];
    const kinds = all.map((s) => s.slice(k.root.length).split(':')[0]);
    expect(new Set(kinds).size).toBe(all.length - 1); // cfg:docs and cfg:ver share "cfg"
  });
});
