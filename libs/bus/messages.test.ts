import { describe, expect, it } from 'vitest';
import { decode, encode, type Outgoing } from './messages.ts';

const C = 'c1';
const wire = (o: unknown): string => JSON.stringify(o);
const env = (type: string, payload: unknown, extra: object = {}) => wire({ v: 1, type, node: 'n1', ts: 1000, payload, ...extra });

describe('encode/decode', () => {
  const cases: Array<[string, Outgoing]> = [
    ['sbc.c1.config.acl', { type: 'config.changed', payload: { kind: 'acl', version: 3, doc: 'rules: []' } }],
    ['sbc.c1.config.acl', { type: 'config.changed', payload: { kind: 'acl', version: 4 } }],
    ['sbc.c1.gateway.state', { type: 'gateway.state', payload: { set: 1, uri: 'sip:10.0.0.1:5060', state: 'inactive', reason: '408' } }],
    ['sbc.c1.gateway.state', { type: 'gateway.state', payload: { set: 1, uri: 'sip:10.0.0.1:5060', state: 'probing', probe: true, count: 1, version: 17, latency: { count: 3, avg: 1.5, std: 0.2, est: 1.4, max: 2, min: 1, timeouts: 0 } } }],
    ['sbc.c1.ban', { type: 'table.set', payload: { table: 'ipban', key: '1.2.3.4', value: '1', ttlMs: 60000, version: 17 } }],
    ['sbc.c1.table.acl', { type: 'table.set', payload: { table: 'acl', key: 'k', value: '', ttlMs: null, version: 0 } }],
    ['sbc.c1.table.acl', { type: 'table.delete', payload: { table: 'acl', key: 'k', version: 18 } }],
  ];
  it.each(cases)('round-trips %s %#', (subject, body) => {
    const r = decode(C, subject, new TextEncoder().encode(encode('node-a', body, 1234)));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.msg).toMatchObject({ v: 1, type: body.type, node: 'node-a', ts: 1234, payload: body.payload, subject });
    expect(r.msg.channel.kind).toBe(subject.split('.')[2]);
  });
  it('tolerates unknown extra fields (forward compatible)', () => {
    const r = decode(C, 'sbc.c1.ban', env('table.delete', { table: 'ipban', key: 'x', version: 1, extra: true }, { trace: 'abc' }));
    expect(r.ok).toBe(true);
  });
});

describe('decode rejects, never throws', () => {
  const bad: Array<[string, string, string | Uint8Array, RegExp]> = [
    ['foreign cluster', 'sbc.c2.ban', env('table.delete', { table: 'ipban', key: 'x', version: 1 }), /not a subject/],
    ['not JSON', 'sbc.c1.ban', '{nope', /not JSON/],
    ['binary garbage', 'sbc.c1.ban', new Uint8Array([0xff, 0xfe, 0x00]), /not JSON/],
    ['array', 'sbc.c1.ban', '[1,2]', /not a JSON object/],
    ['null', 'sbc.c1.ban', 'null', /not a JSON object/],
    ['version 2', 'sbc.c1.ban', wire({ v: 2, type: 'table.delete', node: 'n', ts: 1, payload: {} }), /unknown message version 2/],
    ['no version', 'sbc.c1.ban', wire({ type: 'table.delete', node: 'n', ts: 1, payload: {} }), /unknown message version/],
    ['unknown type', 'sbc.c1.ban', env('table.explode', {}), /unknown message type/],
    ['prototype key as type', 'sbc.c1.ban', env('toString', {}), /unknown message type/],
    ['type on wrong subject', 'sbc.c1.gateway.state', env('table.delete', { table: 't', key: 'k', version: 1 }), /not allowed/],
    ['missing node', 'sbc.c1.ban', wire({ v: 1, type: 'table.delete', ts: 1, payload: { table: 't', key: 'k', version: 1 } }), /node/],
    ['bad ts', 'sbc.c1.ban', wire({ v: 1, type: 'table.delete', node: 'n', ts: 'x', payload: { table: 't', key: 'k', version: 1 } }), /ts/],
    ['payload not object', 'sbc.c1.ban', env('table.delete', 'x'), /payload is not an object/],
    ['negative version', 'sbc.c1.ban', env('table.delete', { table: 't', key: 'k', version: -1 }), /field version/],
    ['value not string', 'sbc.c1.ban', env('table.set', { table: 't', key: 'k', value: 5, ttlMs: null, version: 1 }), /field value/],
    ['zero ttl', 'sbc.c1.ban', env('table.set', { table: 't', key: 'k', value: 'v', ttlMs: 0, version: 1 }), /field ttlMs/],
    ['empty key', 'sbc.c1.ban', env('table.delete', { table: 't', key: '', version: 1 }), /field key/],
    ['table name differs from subject', 'sbc.c1.table.a', env('table.delete', { table: 'b', key: 'k', version: 1 }), /another table/],
    ['config kind differs from subject', 'sbc.c1.config.a', env('config.changed', { kind: 'b', version: 1 }), /another config/],
    ['config doc not string', 'sbc.c1.config.a', env('config.changed', { kind: 'a', version: 1, doc: {} }), /field doc/],
    ['gateway bad state', 'sbc.c1.gateway.state', env('gateway.state', { set: 1, uri: 'sip:x', state: 'up' }), /field state/],
    ['gateway bad probe flag', 'sbc.c1.gateway.state', env('gateway.state', { set: 1, uri: 'sip:x', state: 'active', probe: 'yes' }), /field probe/],
    ['gateway bad latency', 'sbc.c1.gateway.state', env('gateway.state', { set: 1, uri: 'sip:x', state: 'active', latency: { avg: -1 } }), /field latency/],
    ['gateway set not integer', 'sbc.c1.gateway.state', env('gateway.state', { set: '1', uri: 'sip:x', state: 'active' }), /field set/],
  ];
  it.each(bad)('%s', (_name, subject, data, reason) => {
    const r = decode(C, subject, data);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});
