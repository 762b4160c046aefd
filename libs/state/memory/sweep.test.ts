// The memory backend's cleanup timer drops expired entries of every kind, so
// an idle single node does not keep dead bans, calls or bindings forever.
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../../../test/harness/index.ts';
import { createMemoryData, createMemoryState } from './index.ts';

describe('memory cleanup timer', () => {
  it('sweeps expired counters, tables, dialogs, branches, calls and bindings', async () => {
    let t = 1_000_000;
    const data = createMemoryData();
    const s = createMemoryState({ data, now: () => t, cleanupIntervalMs: 10 });
    const c = s.counters('pike', { windowMs: 100, flushIntervalMs: 60_000 });
    c.add('ip');
    await c.flush();
    await s.tables.set('ipban', 'ip', 'x', 100);
    await s.dialogs.put('tok', 'r', { dialogExpireMs: 100, branchExpireMs: 100, branch: { branchId: 'b', data: 'x' } });
    await s.callLoad.start('gw', 'c1', 100);
    await s.locations.save('aor', { uri: 'sip:x', expiresMs: 100, callId: 'c', cseq: 1 });
    await s.config.put('acl', 'doc', 1);
    const sizes = () => [data.counters.size, data.tables.size, data.dialogs.size, data.branches.size, data.callLoad.size, data.locations.size];
    expect(sizes()).toEqual([1, 1, 1, 1, 1, 1]);
    t += 1000;
    await waitUntil(() => sizes().every((n) => n === 0), 2000);
    expect(data.config.size).toBe(1);
    await s.close();
  });
});
