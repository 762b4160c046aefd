// Subscribers through sbcctl (the kamctl/kamcmd-style bin) against a node
// process: add, passwd, bulk import from a file (text=@FILE; bad lines
// reported by number), list, rm; no password reaches the node's log.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSbcNode, type SbcNodeHandle } from '../sipp/index.ts';

const BIN = fileURLToPath(new URL('../../bin/sbcctl.mjs', import.meta.url));
let node: SbcNodeHandle;
let dir: string;

function sbcctl(...args: string[]): Promise<unknown> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SBC_')));
  const env = { ...clean, SBCCTL_URL: `http://${node.host}:${node.httpPort}`, SBCCTL_TOKEN: node.adminToken };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, '--json', ...args], { env, cwd: '/', timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`sbcctl ${args[0]}: ${stderr.trim()}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sbcctl-subs-'));
  node = await startSbcNode({ gateways: [{ host: '127.0.0.1', port: 9 }], config: { auth: { enabled: true, domains: ['example.com'], secret: 'sbcctl-test-nonce-secret' }, log: { level: 'info' } } });
}, 60_000);

afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('subscribers with sbcctl', () => {
  it('adds, changes, imports, lists and removes subscribers; no password in the log', async () => {
    expect(await sbcctl('subscriber.add', 'alice', 'example.com', 'alice-pw-1')).toEqual({ username: 'alice', domain: 'example.com', algorithms: ['MD5', 'SHA-256'] });
    await expect(sbcctl('subscriber.add', 'alice', 'example.com', 'again')).rejects.toThrow(/exists/);
    expect(await sbcctl('subscriber.passwd', 'alice', 'example.com', 'password=alice-pw-2')).toMatchObject({ username: 'alice' });
    const file = join(dir, 'users.txt');
    writeFileSync(file, ['# phones', 'bob@example.com bob-pw', `carol@example.com ha1=${'a'.repeat(32)}`, 'broken-line', 'dave@example.com'].join('\n'));
    expect(await sbcctl('subscriber.import', `text=@${file}`)).toEqual({ imported: 2, problems: [{ line: 4, error: 'first field must be username@domain' }, { line: 5, error: 'missing password (or ha1=/ha1_sha256=)' }] });
    const list = (await sbcctl('subscriber.list', 'domain=example.com')) as { username: string; algorithms: string[] }[];
    expect(list.map((s) => [s.username, s.algorithms])).toEqual([['alice', ['MD5', 'SHA-256']], ['bob', ['MD5', 'SHA-256']], ['carol', ['MD5']]]);
    expect(await sbcctl('subscriber.rm', 'bob', 'example.com')).toEqual({ deleted: true });
    expect(((await sbcctl('subscriber.list')) as unknown[]).length).toBe(2);
    const log = node.logTail(20_000);
    expect(log).toContain('subscriber.passwd');
    for (const secret of ['alice-pw-1', 'alice-pw-2', 'bob-pw']) expect(log).not.toContain(secret);
  });
});
