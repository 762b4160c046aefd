import { describe, expect, it } from 'vitest';
import { dsHash } from './hash.ts';
import { seededRng } from './rng.ts';
import { DispatcherState } from './state.ts';
import { ctxFor, setsFromList } from './test-helpers.ts';
import { hashUri } from './uri-hash.ts';
import { DispatcherError, type AlgorithmId, type Destination } from './types.ts';

const THREE = '1 sip:127.0.0.1:5080\n1 sip:127.0.0.1:5082\n1 sip:127.0.0.1:5084\n';
const A = 'sip:127.0.0.1:5080';
const B = 'sip:127.0.0.1:5082';
const C = 'sip:127.0.0.1:5084';

const uris = (ds: readonly Destination[]) => ds.map((d) => d.uri);

function count(state: DispatcherState, alg: AlgorithmId, n: number, ctx = (i: number) => ctxFor(`call-${i}`)): Record<string, number> {
  const c: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const first = state.select(1, alg, ctx(i))[0].uri;
    c[first] = (c[first] ?? 0) + 1;
  }
  return c;
}

describe('hash algorithms: same answer on every node', () => {
  it.each([0, 1, 2, 3, 5] as AlgorithmId[])('algorithm %i picks the same destination on two independent instances', (alg) => {
    const node1 = new DispatcherState(setsFromList(THREE), { rng: seededRng(1) });
    const node2 = new DispatcherState(setsFromList(THREE), { rng: seededRng(99) });
    for (let i = 0; i < 200; i++) {
      const ctx = ctxFor(`c${i}@host`, { fromUri: `sip:user${i}@a.example`, toUri: `sip:to${i}@b.example`, ruri: `sip:r${i}@b.example`, authUser: `u${i}` });
      // a retransmission reaching the other node, after other traffic moved that node's cursors
      node2.select(1, 4, ctx);
      expect(uris(node1.select(1, alg, ctx))).toEqual(uris(node2.select(1, alg, ctx)));
    }
  });

  it('algorithm 0 takes ds_get_hash(Call-ID) mod set size', () => {
    const ds = new DispatcherState(setsFromList(THREE));
    const callId = 'a84b4c76e66710@pc33.atlanta.com';
    const expected = [A, B, C][dsHash(callId) % 3];
    expect(ds.select(1, 0, ctxFor(callId))[0].uri).toBe(expected);
    expect(ds.select(1, 0, ctxFor(` ${callId} `))[0].uri).toBe(expected);
  });

  it('algorithms 1-3 hash the URI without parameters', () => {
    const ds = new DispatcherState(setsFromList(THREE));
    const base = ds.select(1, 1, ctxFor('x', { fromUri: 'sip:alice@atlanta.com' }))[0].uri;
    expect(base).toBe([A, B, C][hashUri('sip:alice@atlanta.com') % 3]);
    for (const f of ['sip:alice@atlanta.com;transport=tcp', 'sip:alice@atlanta.com:5060', ' sip:alice@atlanta.com '])
      expect(ds.select(1, 1, ctxFor('y', { fromUri: f }))[0].uri).toBe(base);
    expect(ds.select(1, 2, ctxFor('z', { toUri: 'sip:bob@b.com' }))[0].uri).toBe([A, B, C][hashUri('sip:bob@b.com') % 3]);
    expect(ds.select(1, 3, ctxFor('z', { ruri: 'sip:bob@b.com:5070' }))[0].uri).toBe([A, B, C][hashUri('sip:bob@b.com:5070') % 3]);
  });

  it('algorithm 5 hashes the auth username, else the From URI', () => {
    const ds = new DispatcherState(setsFromList(THREE));
    expect(ds.select(1, 5, ctxFor('x', { authUser: 'alice' }))[0].uri).toBe([A, B, C][dsHash('alice') % 3]);
    for (let i = 0; i < 20; i++) {
      const ctx = ctxFor(`c${i}`, { fromUri: `sip:u${i}@example.com` });
      expect(ds.select(1, 5, ctx)[0].uri).toBe(ds.select(1, 1, ctx)[0].uri);
    }
  });

  it('algorithm 7 hashes the routing-provided key and insists on it', () => {
    const ds = new DispatcherState(setsFromList(THREE));
    expect(ds.select(1, 7, ctxFor('x', { hashKey: 'tenant-42' }))[0].uri).toBe([A, B, C][dsHash('tenant-42') % 3]);
    expect(() => ds.select(1, 7, ctxFor('x'))).toThrow(DispatcherError);
  });

  it('spreads Call-IDs over the set', () => {
    const c = count(new DispatcherState(setsFromList(THREE)), 0, 3000);
    for (const u of [A, B, C]) expect(c[u]).toBeGreaterThan(800);
  });
});

describe('failover order', () => {
  it('is the chosen destination, then those after it, then those before it', () => {
    const ds = new DispatcherState(setsFromList(THREE));
    const callId = Array.from({ length: 50 }, (_, i) => `call-${i}`).find((c) => dsHash(c) % 3 === 1) as string;
    expect(uris(ds.select(1, 0, ctxFor(callId)))).toEqual([B, C, A]);
  });

  it('skips inactive and disabled destinations, moving to the next', () => {
    const ds = new DispatcherState(setsFromList(THREE));
    const callId = Array.from({ length: 50 }, (_, i) => `call-${i}`).find((c) => dsHash(c) % 3 === 1) as string;
    ds.setState(1, B, 'inactive');
    expect(uris(ds.select(1, 0, ctxFor(callId)))).toEqual([C, A]);
    ds.setState(1, A, 'disabled');
    expect(uris(ds.select(1, 0, ctxFor(callId)))).toEqual([C]);
    ds.setState(1, C, 'probing'); // trying: still selected
    expect(uris(ds.select(1, 0, ctxFor(callId)))).toEqual([C]);
    ds.setState(1, C, 'inactive');
    expect(ds.select(1, 0, ctxFor(callId))).toEqual([]);
  });

  it('honours the limit, first destination included', () => {
    const ds = new DispatcherState(setsFromList(THREE));
    expect(ds.select(1, 8, ctxFor('x'), 2)).toHaveLength(2);
    expect(ds.select(1, 8, ctxFor('x'), 0)).toHaveLength(3);
  });

  it('returns nothing for an unknown set', () => {
    expect(new DispatcherState(setsFromList(THREE)).select(9, 0, ctxFor('x'))).toEqual([]);
  });
});

describe('round robin (4)', () => {
  it('walks the set in turn, exactly evenly', () => {
    const ds = new DispatcherState(setsFromList(THREE));
    const seq = Array.from({ length: 6 }, (_, i) => ds.select(1, 4, ctxFor(`c${i}`))[0].uri);
    expect(seq).toEqual([A, B, C, A, B, C]);
    expect(count(ds, 4, 300)).toEqual({ [A]: 100, [B]: 100, [C]: 100 });
  });

  it('shares turns evenly among active destinations only', () => {
    const ds = new DispatcherState(setsFromList(THREE));
    ds.setState(1, B, 'inactive');
    const seq = Array.from({ length: 6 }, (_, i) => ds.select(1, 4, ctxFor(`c${i}`))[0].uri);
    expect(seq).toEqual([A, C, A, C, A, C]);
    expect(uris(ds.select(1, 4, ctxFor('x')))).toEqual([A, C]);
  });
});

describe('random (6)', () => {
  it('spreads evenly with the injected generator', () => {
    const c = count(new DispatcherState(setsFromList(THREE), { rng: seededRng(7) }), 6, 3000);
    for (const u of [A, B, C]) expect(Math.abs(c[u] - 1000)).toBeLessThan(150);
  });

  it('is reproducible for a seed', () => {
    const run = () => {
      const ds = new DispatcherState(setsFromList(THREE), { rng: seededRng(3) });
      return Array.from({ length: 20 }, (_, i) => ds.select(1, 6, ctxFor(`c${i}`))[0].uri);
    };
    expect(run()).toEqual(run());
  });
});

describe('priority (8) and parallel (12)', () => {
  const LIST = '1 sip:low 0 1\n1 sip:high 0 20\n1 sip:mid 0 10\n';

  it('always starts from the highest priority, failing over in priority order', () => {
    const ds = new DispatcherState(setsFromList(LIST));
    for (let i = 0; i < 5; i++) expect(uris(ds.select(1, 8, ctxFor(`c${i}`)))).toEqual(['sip:high', 'sip:mid', 'sip:low']);
    ds.setState(1, 'sip:high', 'inactive');
    expect(uris(ds.select(1, 8, ctxFor('x')))).toEqual(['sip:mid', 'sip:low']);
  });

  it('12 returns every active destination for forking', () => {
    const ds = new DispatcherState(setsFromList(LIST));
    ds.setState(1, 'sip:mid', 'disabled');
    expect(uris(ds.select(1, 12, ctxFor('x')))).toEqual(['sip:high', 'sip:low']);
  });
});

describe('weight (9)', () => {
  const LIST = '1 sip:a 0 0 weight=50\n1 sip:b 0 0 weight=30\n1 sip:c 0 0 weight=20\n';

  it('sends each destination its percentage of every 100 calls', () => {
    const ds = new DispatcherState(setsFromList(LIST), { rng: seededRng(11) });
    expect(count(ds, 9, 100)).toEqual({ 'sip:a': 50, 'sip:b': 30, 'sip:c': 20 });
    expect(count(ds, 9, 1000)).toEqual({ 'sip:a': 500, 'sip:b': 300, 'sip:c': 200 });
  });

  it('mixes the order (not 50 in a row)', () => {
    const ds = new DispatcherState(setsFromList(LIST), { rng: seededRng(11) });
    const first10 = Array.from({ length: 10 }, (_, i) => ds.select(1, 9, ctxFor(`c${i}`))[0].uri);
    expect(new Set(first10).size).toBeGreaterThan(1);
  });

  it('gives the slots of an inactive destination to the next one', () => {
    const ds = new DispatcherState(setsFromList(LIST), { rng: seededRng(11) });
    ds.setState(1, 'sip:b', 'inactive');
    expect(count(ds, 9, 100)).toEqual({ 'sip:a': 50, 'sip:c': 50 });
  });

  it('gives unassigned slots to the last destination (weights under 100)', () => {
    const ds = new DispatcherState(setsFromList('1 sip:a 0 0 weight=10\n1 sip:b 0 0 weight=10\n'), { rng: seededRng(5) });
    expect(count(ds, 9, 100)).toEqual({ 'sip:a': 10, 'sip:b': 90 });
  });
});

describe('relative weight (11)', () => {
  const LIST = '1 sip:a 0 0 rweight=1\n1 sip:b 0 0 rweight=2\n1 sip:c 0 0 rweight=1\n';

  it('distributes by rweight among active destinations (Kamailio example 25/50/25, then 33/67)', () => {
    const ds = new DispatcherState(setsFromList(LIST), { rng: seededRng(2) });
    expect(count(ds, 11, 100)).toEqual({ 'sip:a': 25, 'sip:b': 50, 'sip:c': 25 });
    ds.setState(1, 'sip:c', 'inactive');
    expect(count(ds, 11, 100)).toEqual({ 'sip:a': 33, 'sip:b': 67 });
    ds.setState(1, 'sip:c', 'active');
    expect(count(ds, 11, 100)).toEqual({ 'sip:a': 25, 'sip:b': 50, 'sip:c': 25 });
  });
});

describe('call load (10)', () => {
  const LIST = '1 sip:a 0 0 duid=a;maxload=2\n1 sip:b 0 0 duid=b\n1 sip:c 0 0 duid=c;maxload=5\n';
  const loads = (m: Record<string, number>) => {
    const asked: string[][] = [];
    const fn = async (duids: readonly string[]) => {
      asked.push([...duids]);
      return new Map(Object.entries(m));
    };
    return { fn, asked };
  };

  it('picks the least loaded, then the rest in set order, fetching loads once', async () => {
    const ds = new DispatcherState(setsFromList(LIST));
    const l = loads({ a: 1, b: 4, c: 0 });
    expect(uris(await ds.selectAsync(1, 10, ctxFor('x'), { loadsOf: l.fn }))).toEqual(['sip:c', 'sip:a', 'sip:b']);
    expect(l.asked).toEqual([['a', 'b', 'c']]);
  });

  it('skips destinations at maxload and inactive ones', async () => {
    const ds = new DispatcherState(setsFromList(LIST));
    expect(uris(await ds.selectAsync(1, 10, ctxFor('x'), { loadsOf: loads({ a: 2, b: 7, c: 5 }).fn }))).toEqual(['sip:b']);
    ds.setState(1, 'sip:b', 'inactive');
    expect(await ds.selectAsync(1, 10, ctxFor('x'), { loadsOf: loads({ a: 2, b: 0, c: 5 }).fn })).toEqual([]);
  });

  it('needs the async path and a provider', async () => {
    const ds = new DispatcherState(setsFromList(LIST));
    expect(() => ds.select(1, 10, ctxFor('x'))).toThrow(/call load/);
    await expect(ds.selectAsync(1, 10, ctxFor('x'))).rejects.toThrow(DispatcherError);
    // other algorithms work through the async path too
    expect(uris(await ds.selectAsync(1, 8, ctxFor('x')))).toEqual(['sip:a', 'sip:b', 'sip:c']);
  });
});
