// The SBC launcher: config generation, readiness, process-group accounting
// and stop (with a fixture entry), and running another build's bundle.
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { groupPids } from './proc.ts';
import { sipOptionsPing } from './sip-ping.ts';
import { SBC_BUNDLE, startSbcNode, type SbcNodeHandle } from './sbc-node.ts';

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

  it('runs another build\'s bundle as npm start runs the bundle (bench/compare.ts <mode>@<checkout>)', async () => {
    // a copy beside the bundle the harness built: the same node_modules and addon, another file
    const other = SBC_BUNDLE.replace(/\.mjs$/, `-other-${process.pid}.mjs`);
    copyFileSync(SBC_BUNDLE, other);
    try {
      node = await startSbcNode({ bundle: other, gateways: [{ host: '127.0.0.1', port: 5071 }] });
      expect(await sipOptionsPing({ host: node.host, port: node.port })).toBe(200);
      const cmdlines = node.pids().map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'));
      const nodeCmd = cmdlines.find((c) => c.includes(other));
      expect(nodeCmd, 'a process runs the other bundle').toBeDefined();
      expect(nodeCmd).toContain('--single-threaded-gc'); // npm start's V8 flags, not tsx
      expect(cmdlines.some((c) => c.includes(SBC_BUNDLE))).toBe(false);
    } finally {
      await node?.stop();
      node = undefined;
      rmSync(other, { force: true });
    }
  });

  it('reports a node that exits during start, with its log', async () => {
    const missingList = { dispatcher: { list_file: '/nonexistent/dispatcher.list' } };
    await expect(startSbcNode({ entry: FAKE, gateways: [], config: missingList, startTimeoutMs: 10_000 })).rejects.toThrow(/exited before binding[\s\S]*ENOENT/);
  });
});
