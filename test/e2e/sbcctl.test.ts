// sbcctl (the npm bin, bin/sbcctl.mjs -> dist/sbcctl.mjs) against a running
// node process: tables, --json, token from flag/env/file, and exit codes.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/index.ts';
import { startSbcNode, type SbcNodeHandle } from '../sipp/index.ts';

const BIN = fileURLToPath(new URL('../../bin/sbcctl.mjs', import.meta.url));

interface Run { code: number; stdout: string; stderr: string }

function sbcctl(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SBC_') && !k.startsWith('SBCCTL_')));
    execFile(process.execPath, [BIN, ...args], { env: { ...clean, ...env }, cwd: '/', timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('sbcctl against a running node', () => {
  let node: SbcNodeHandle;
  let env: Record<string, string>;
  beforeAll(async () => {
    node = await startSbcNode({ gateways: [{ host: '127.0.0.1', port: 5999 }, { host: '127.0.0.1', port: 5998 }], readiness: 'bound' });
    env = { SBCCTL_URL: `http://${node.host}:${node.httpPort}`, SBCCTL_TOKEN: node.adminToken };
  }, 30_000);
  afterAll(() => node?.stop());

  it('prints dispatcher.list as a table, and as JSON with --json', async () => {
    const table = await sbcctl(['dispatcher.list'], env);
    expect(table.code, table.stderr).toBe(0);
    const [header, ...rows] = table.stdout.trim().split('\n');
    expect(header).toMatch(/^ID\s+URI\s+FLAGS\s+STATE/);
    expect(rows.map((r) => r.split(/\s+/)[1]).sort()).toEqual(['sip:127.0.0.1:5998', 'sip:127.0.0.1:5999']);
    const json = await sbcctl(['--json', 'dispatcher.list'], env);
    expect((JSON.parse(json.stdout) as { sets: { destinations: unknown[] }[] }).sets[0].destinations).toHaveLength(2);
  });

  it('bans and unbans a source kamcmd-style (positional parameters), seen through htable.dump', async () => {
    expect((await sbcctl(['htable.sets', 'ipban', '198.51.100.7', 'manual', '600'], env)).code).toBe(0);
    const dump = await sbcctl(['htable.dump', 'ipban'], env);
    expect(dump.stdout).toMatch(/198\.51\.100\.7\s+manual/);
    expect((await sbcctl(['htable.delete', 'ipban', '198.51.100.7'], env)).code).toBe(0);
    expect((await sbcctl(['htable.dump', 'ipban'], env)).stdout).not.toContain('198.51.100.7');
  });

  it('sets a destination state and the table shows it', async () => {
    expect((await sbcctl(['dispatcher.set_state', 'i', '1', 'sip:127.0.0.1:5999'], env)).code).toBe(0);
    const row = (await sbcctl(['dispatcher.list'], env)).stdout.split('\n').find((l) => l.includes('sip:127.0.0.1:5999'))!;
    expect(row).toMatch(/inactive/);
  });

  it('reads the token from --token and from a tokens file', async () => {
    const url = env.SBCCTL_URL;
    expect((await sbcctl(['--url', url, '--token', node.readToken, 'core.info'])).code).toBe(0);
    const file = join(node.dir, 'client-tokens');
    writeFileSync(file, `ops admin ${node.adminToken}\n`);
    const info = await sbcctl(['--url', url, '--token-file', file, 'core.info']);
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/^node: /m);
  });

  it('says what failed with its exit code', async () => {
    const url = env.SBCCTL_URL;
    const noToken = await sbcctl(['--url', url, 'dispatcher.list']);
    expect([noToken.code, noToken.stderr]).toEqual([4, expect.stringMatching(/unauthorized: no token/)]);
    expect((await sbcctl(['--url', url, '--token', 'wrong-token-0123456789', 'dispatcher.list'])).code).toBe(4);
    const readOnly = await sbcctl(['--url', url, '--token', node.readToken, 'htable.sets', 'ipban', '198.51.100.8']);
    expect([readOnly.code, readOnly.stderr]).toEqual([4, expect.stringMatching(/forbidden/)]);
    expect((await sbcctl(['nosuch.command'], env)).code).toBe(2);
    expect((await sbcctl(['--bogus'], env)).code).toBe(2);
    const bad = await sbcctl(['dispatcher.set_state', 'x', '1', 'sip:127.0.0.1:5999'], env);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringMatching(/400: state "x"/)]);
    const down = await sbcctl(['--url', `http://127.0.0.1:${await freePort()}`, 'core.info'], env);
    expect([down.code, down.stderr]).toEqual([3, expect.stringMatching(/cannot reach/)]);
  });
});
