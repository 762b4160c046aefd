// The SBC launcher, exercised with a fixture entry until services/sbc exists:
// config generation, readiness, process-group accounting and stop.
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { groupPids } from './proc.ts';
import { sipOptionsPing } from './sip-ping.ts';
import { startSbcNode, type SbcNodeHandle } from './sbc-node.ts';

const FAKE = fileURLToPath(new URL('./fixtures/fake-sbc.ts', import.meta.url));
let node: SbcNodeHandle | undefined;
afterEach(async () => {
  await node?.stop();
  node = undefined;
});

describe('startSbcNode', () => {
  it('starts the entry with a generated config and waits until it answers OPTIONS', async () => {
    node = await startSbcNode({ entry: FAKE, gateways: [{ host: '127.0.0.1', port: 5071 }, { host: '127.0.0.1', port: 5072 }] });

    expect(await sipOptionsPing({ host: node.host, port: node.port })).toBe(200);
    expect(node.pids().length).toBeGreaterThanOrEqual(1);
    expect(node.cpuMs()).toBeGreaterThan(0); // tsx + node start-up costs CPU
    const pgid = node.pgid;
    await node.stop();
    node = undefined;
    expect(groupPids(pgid)).toEqual([]);
  });

  it('reports a node that exits during start, with its log', async () => {
    const missingList = { dispatcher: { list_file: '/nonexistent/dispatcher.list' } };
    await expect(startSbcNode({ entry: FAKE, gateways: [], config: missingList, startTimeoutMs: 10_000 })).rejects.toThrow(/exited before binding[\s\S]*ENOENT/);
  });
});
