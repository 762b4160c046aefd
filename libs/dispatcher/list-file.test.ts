import { describe, expect, it } from 'vitest';
import { buildDestinationSets } from './build.ts';
import { parseDispatcherList } from './list-file.ts';
import { parseAttrs, parseSocket } from './attrs.ts';

const GOOD = `
# dispatcher destination sets

# gateways
1 sip:127.0.0.1:5080
1 sip:127.0.0.1:5082;transport=tcp 8 5 duid=gw2;weight=50;rweight=2;maxload=20;socket=udp:127.0.0.1:5060;ping_from=sip:ping@sbc.local;cc=1;my=xyz
2\tsip:10.0.0.1:5060\t0  10   duid=a  # trailing comment
2 sips:gw.example.com 4
`;

describe('parseDispatcherList', () => {
  it('reads every field, skipping comments and blank lines', () => {
    const { entries, errors } = parseDispatcherList(GOOD, 'd.list');
    expect(errors).toEqual([]);
    expect(entries.map((e) => [e.setId, e.uri, e.flags, e.priority, e.attrs, e.source.line])).toEqual([
      [1, 'sip:127.0.0.1:5080', 0, 0, '', 5],
      [1, 'sip:127.0.0.1:5082;transport=tcp', 8, 5, 'duid=gw2;weight=50;rweight=2;maxload=20;socket=udp:127.0.0.1:5060;ping_from=sip:ping@sbc.local;cc=1;my=xyz', 6],
      [2, 'sip:10.0.0.1:5060', 0, 10, 'duid=a', 7],
      [2, 'sips:gw.example.com', 4, 0, '', 8],
    ]);
    expect(entries[0].source).toEqual({ file: 'd.list', line: 5 });
  });

  it('names file, line and the problem for each bad line', () => {
    const text = ['x sip:a', '1', '1 sip:b 99', '1 sip:c 0 -5', '1 sip:d 0 0 a=1 b=2', '-1 sip:e', '1 sip:f 0 0 # ok'].join('\n');
    const { entries, errors } = parseDispatcherList(text, 'bad.list');
    expect(errors.map((e) => [e.file, e.line])).toEqual([
      ['bad.list', 1],
      ['bad.list', 2],
      ['bad.list', 3],
      ['bad.list', 4],
      ['bad.list', 5],
      ['bad.list', 6],
    ]);
    expect(errors[0].message).toContain('set id');
    expect(errors[1].message).toContain('missing destination URI');
    expect(errors[2].message).toContain('flags must be 0..31');
    expect(errors[3].message).toContain('priority');
    expect(errors[4].message).toContain('unexpected "b=2"');
    expect(entries.map((e) => e.uri)).toEqual(['sip:f']);
  });
});

describe('buildDestinationSets', () => {
  it('checks URIs and attrs, naming the line', () => {
    const text = ['1 127.0.0.1:5080', '1 tel:+123', '1 sip:ok 0 0 weight=150;socket=foo:1.2.3.4', '1 sip:ok2 0 0 ping_from=x;duid=', '1 sip:good'].join('\n');
    const { entries } = parseDispatcherList(text, 'd.list');
    const { sets, errors } = buildDestinationSets(entries);
    const at = (line: number) => errors.filter((e) => e.line === line).map((e) => e.message);
    expect(at(1)[0]).toContain('write "sip:127.0.0.1:5080"');
    expect(at(2)[0]).toContain('sip: or sips:');
    expect(at(3)).toEqual(['attr weight must be an integer 1..100, got "150"', 'socket "foo:1.2.3.4": unknown protocol "foo" (udp, tcp, tls, sctp, ws, wss)']);
    expect(at(4)).toEqual(['attr ping_from must be a sip: URI, got "x"', 'attr duid must not be empty']);
    expect(sets).toHaveLength(1);
    expect(sets[0].destinations.map((d) => d.uri)).toEqual(['sip:good']);
  });

  it('rejects a destination listed twice in a set, naming the first', () => {
    const { entries } = parseDispatcherList('1 sip:a\n2 sip:a\n1 sip:a 0 3\n', 'd.list');
    const { errors } = buildDestinationSets(entries);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 3 });
    expect(errors[0].message).toContain('d.list:1');
  });

  it('orders each set by priority, highest first, keeping file order on ties', () => {
    const { entries } = parseDispatcherList('1 sip:a 0 0\n1 sip:b 0 10\n1 sip:c 0 5\n1 sip:d 0 10\n3 sip:z\n', 'd.list');
    const { sets } = buildDestinationSets(entries);
    expect(sets.map((s) => s.id)).toEqual([1, 3]);
    expect(sets[0].destinations.map((d) => d.uri)).toEqual(['sip:b', 'sip:d', 'sip:c', 'sip:a']);
    expect(Object.isFrozen(sets[0].destinations)).toBe(true);
  });

  it('checks socket attrs against the local sockets when given', () => {
    const { entries } = parseDispatcherList('1 sip:a 0 0 socket=udp:127.0.0.1:5060\n1 sip:b 0 0 socket=tcp:127.0.0.1:5099\n', 'd.list');
    const { errors } = buildDestinationSets(entries, { localSockets: [{ proto: 'udp', host: '127.0.0.1', port: 5060 }] });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 2 });
    expect(errors[0].message).toContain('tcp:127.0.0.1:5099');
  });
});

describe('parseAttrs', () => {
  it('types the known attrs and keeps the others', () => {
    const { attrs, problems } = parseAttrs('DUID=gw1;weight=40;rweight=3;maxload=0;socket=tcp:[::1]:5070;ping_from=sip:p@x;cc=0;prefix=448;flag;');
    expect(problems).toEqual([]);
    expect(attrs).toMatchObject({ duid: 'gw1', weight: 40, rweight: 3, maxload: 0, socket: { proto: 'tcp', host: '::1', port: 5070 }, pingFrom: 'sip:p@x', cc: 0 });
    expect(attrs.extra).toEqual({ prefix: '448', flag: '' });
  });

  it('accepts a YAML mapping', () => {
    const { attrs } = parseAttrs({ duid: 'gw1', weight: 25 });
    expect(attrs).toMatchObject({ duid: 'gw1', weight: 25, text: 'duid=gw1;weight=25' });
  });

  it('reports duplicates and bad numbers', () => {
    expect(parseAttrs('weight=1;weight=2').problems).toEqual(['attr weight given twice']);
    expect(parseAttrs('rweight=0').problems[0]).toContain('1..100');
    expect(parseAttrs('maxload=x').problems[0]).toContain('maxload');
  });

  it('parses sockets', () => {
    expect(parseSocket('udp:10.0.0.1')).toEqual({ proto: 'udp', host: '10.0.0.1' });
    expect(parseSocket('udp:10.0.0.1:99999')).toContain('outside');
  });
});
