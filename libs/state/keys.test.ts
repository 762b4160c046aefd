import { describe, expect, it } from 'vitest';
import { keySpace, STRIPES, stripeOf, tagged } from './keys.ts';
import { keySlot } from './testing/slot.ts';

const k = keySpace('east', 'sbc');

describe('keySpace', () => {
  it('roots every key in prefix and cluster name', () => {
    expect(k.root).toBe('sbc:east:');
    expect(keySpace('east').root).toBe('sbc:east:');
    expect(keySpace('east', 'lab').root).toBe('lab:east:');
  });
  it('rejects cluster names and prefixes that would break keys or tags', () => {
    expect(() => keySpace('a}b')).toThrow(/cluster name/);
    expect(() => keySpace('')).toThrow(/cluster name/);
    expect(() => keySpace('ok', 'a:b')).toThrow(/key prefix/);
  });
  it('counterWindow: striped by counted key', () => {
    expect(k.counterWindow('pike', 2000, 850000123, 7)).toBe('sbc:east:cnt:{east:pike:7}:2000:850000123');
  });
  it('tableEntry: in the stripe of its key', () => {
    const s = stripeOf('2001:db8::1');
    expect(k.tableEntry('ipban', '2001:db8::1')).toBe(`sbc:east:t:{east:ipban:${s}}:2001:db8::1`);
  });
  it('tableEntryPrefix', () => {
    expect(k.tableEntryPrefix('ipban', 3)).toBe('sbc:east:t:{east:ipban:3}:');
    expect(k.tableEntryPrefix('ipban', stripeOf('x')) + 'x').toBe(k.tableEntry('ipban', 'x'));
  });
  it('tableIndex', () => expect(k.tableIndex('ipban', 3)).toBe('sbc:east:ti:{east:ipban:3}'));
  it('dialog', () => expect(k.dialog('tok')).toBe('sbc:east:dlg:{tok}'));
  it('dialogBranch', () => expect(k.dialogBranch('tok', 'z9hG4bK.1')).toBe('sbc:east:dlgb:{tok}:z9hG4bK.1'));
  it('callLoad', () => expect(k.callLoad('sip:10.0.0.1:5060')).toBe('sbc:east:load:{east:load}:sip:10.0.0.1:5060'));
  it('leaseMembers', () => expect(k.leaseMembers('ds-probe')).toBe('sbc:east:lease:{ds-probe}:m'));
  it('lease', () => expect(k.lease('ds-probe', '1 sip:10.0.0.1')).toBe('sbc:east:lease:{ds-probe}:n:1 sip:10.0.0.1'));
  it('claim', () => expect(k.claim('ds-pin', 'abc@h z9hG4bK1')).toBe('sbc:east:claim:{ds-pin:abc@h z9hG4bK1}'));
  it('location', () => expect(k.location('alice@example.com')).toBe('sbc:east:loc:{alice@example.com}'));
  it('locationExpiry', () => expect(k.locationExpiry('alice@example.com')).toBe('sbc:east:locx:{alice@example.com}'));
  it('configDocs', () => expect(k.configDocs()).toBe('sbc:east:cfg:{east:cfg}:docs'));
  it('configVersions', () => expect(k.configVersions()).toBe('sbc:east:cfg:{east:cfg}:ver'));
  it('jobQueue (BullMQ prefix: the queue name is the tag)', () => expect(k.jobQueue('acc')).toBe('sbc:east:q:{acc}'));
  it('keeps kinds apart: the segment after the root names the kind', () => {
    const all = [k.counterWindow('a', 1, 1, 0), k.tableEntry('a', 'b'), k.tableIndex('a', 0), k.dialog('a'), k.dialogBranch('a', 'b'),
      k.callLoad('a'), k.leaseMembers('a'), k.lease('a', 'b'), k.claim('a', 'b'), k.location('a'), k.locationExpiry('a'), k.configDocs(), k.configVersions()];
    const kinds = all.map((s) => s.slice(k.root.length).split(':')[0]);
    expect(new Set(kinds).size).toBe(all.length - 2); // cfg:docs and cfg:ver share "cfg", lease members and names "lease"
  });
});

describe('slots: each script touches one slot, per-call and per-source data spread', () => {
  it('a dialog and its branches share a slot; different dialogs do not (mostly)', () => {
    expect(keySlot(k.dialogBranch('tok-1', 'b1'))).toBe(keySlot(k.dialog('tok-1')));
    const slots = new Set(Array.from({ length: 100 }, (_, i) => keySlot(k.dialog(`tok-${i}`))));
    expect(slots.size).toBeGreaterThan(90);
  });
  it('an AoR hash and its expiry set share a slot', () => {
    expect(keySlot(k.location('sip:alice@x'))).toBe(keySlot(k.locationExpiry('sip:alice@x')));
  });
  it('a table entry shares the slot of its index stripe, and the dump prefix of that stripe', () => {
    for (const key of ['10.0.0.1', '2001:db8::1', 'alice']) {
      const s = stripeOf(key);
      expect(keySlot(k.tableEntry('ipban', key))).toBe(keySlot(k.tableIndex('ipban', s)));
      expect(keySlot(k.tableEntryPrefix('ipban', s) + key)).toBe(keySlot(k.tableIndex('ipban', s)));
    }
  });
  it('stripes of one table / counter window land on different slots', () => {
    const slots = new Set(Array.from({ length: STRIPES }, (_, s) => keySlot(k.tableIndex('ipban', s))));
    expect(slots.size).toBe(STRIPES);
    const cnt = new Set(Array.from({ length: STRIPES }, (_, s) => keySlot(k.counterWindow('pike', 1000, 5, s))));
    expect(cnt.size).toBe(STRIPES);
  });
  it('sources spread over every stripe', () => {
    const hits = new Array<number>(STRIPES).fill(0);
    for (let i = 0; i < 10_000; i++) hits[stripeOf(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)]++;
    expect(Math.min(...hits)).toBeGreaterThan(10_000 / STRIPES / 2);
  });
  it('claims (per-request pins) spread: one slot per claimed name, not the group', () => {
    const slots = new Set(Array.from({ length: 100 }, (_, i) => keySlot(k.claim('ds-pin', `call-${i}@h z9hG4bK${i}`))));
    expect(slots.size).toBeGreaterThan(90);
  });
  it('call-load keys of all destinations share one slot (startLeastLoaded compares them in one script)', () => {
    expect(keySlot(k.callLoad('gw1'))).toBe(keySlot(k.callLoad('sip:10.0.0.2:5060')));
  });
  it('config documents and versions share a slot', () => expect(keySlot(k.configDocs())).toBe(keySlot(k.configVersions())));
  it('ids with braces get a hash tag and keep their name', () => {
    expect(tagged('abc')).toBe('{abc}');
    const t = tagged('a}b{c');
    expect(t).toMatch(/^\{#[0-9a-f]{8}\}:a\}b\{c$/);
    expect(keySlot(k.dialog('}x'))).toBe(keySlot(k.dialogBranch('}x', 'b')));
    expect(k.dialog('}x')).not.toBe(k.dialog('}y'));
  });
  it('the three rules are open to contracts added later', () => {
    expect(k.perEntity('nonce', 'n1', 'used')).toBe('sbc:east:nonce:{n1}:used');
    expect(k.striped('sub', 'users', 2)).toBe('sbc:east:sub:{east:users:2}');
    expect(k.clusterWide('lease', 'gw1')).toBe('sbc:east:lease:{east:lease}:gw1');
    expect(() => k.perEntity('a:b', 'x')).toThrow(/kind/);
    expect(() => k.striped('x', 'y', STRIPES)).toThrow(/stripe/);
  });
});

describe('keySlot (the test helper) agrees with Redis', () => {
  it('known slots', () => {
    // from the Redis Cluster spec / CLUSTER KEYSLOT
    expect(keySlot('123456789')).toBe(12739);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('foo{}{bar}')).toBe(keySlot('foo{}{bar}'));
  });
});
