// The chart's rendered node config boots a real node: the ConfigMap's sbc.yaml
// and dispatcher.list, the Secret's admin tokens and mask key, and the pod's
// variables, run by the bundle with the image's entrypoint flags against the
// test Redis and NATS. Only what cannot exist here is replaced: listen
// addresses and ports (loopback, free ports) and the backends' URLs.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { freePort, uniqueName, waitUntil } from '../harness/index.ts';
import { helmBinary } from '../harness/helm.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
const ENTRY_FLAGS = ['--max-semi-space-size=64', '--single-threaded-gc', '--interrupt-budget=16384', '--no-memory-reducer'];

// biome-ignore lint: rendered Kubernetes objects are walked dynamically
type K8s = Record<string, any>;

describe('a node started from the chart (ci/loadbalancer-values.yaml)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chart-node-'));
  let proc: ChildProcess | undefined;
  let exited: Promise<number | null>;
  let log = '';
  let httpPort = 0;
  let adminPort = 0;
  let adminToken = '';

  beforeAll(async () => {
    const { stdout } = await run(helmBinary(), ['template', 't', join(REPO, 'helm/sbc'), '-f', join(REPO, 'helm/sbc/ci/loadbalancer-values.yaml')], { maxBuffer: 32 * 1024 * 1024 });
    const objs = parseAllDocuments(stdout).map((d) => d.toJSON() as K8s).filter((o) => o !== null);
    const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 't-sbc-config')!;
    const secret = objs.find((o) => o.kind === 'Secret')!;
    writeFileSync(join(dir, 'sbc.yaml'), cm.data['sbc.yaml'] as string);
    writeFileSync(join(dir, 'dispatcher.list'), cm.data['dispatcher.list'] as string);
    writeFileSync(join(dir, 'admin-tokens'), secret.stringData['admin-tokens'] as string, { mode: 0o600 });
    adminToken = (secret.stringData['admin-tokens'] as string).split('\n')[0].split(' ')[2];
    const sipPort = await freePort();
    httpPort = await freePort();
    adminPort = await freePort();
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      SBC_CONFIG: join(dir, 'sbc.yaml'),
      SBC_NODE_ID: 't-sbc-7d9f-abcde',
      SBC_TOPOLOGY_MASK_KEY: secret.stringData['topology-mask-key'] as string,
      SBC_AUTH_SECRET: secret.stringData['auth-secret'] as string,
      // what cannot exist on this machine: the pod's addresses and the cluster's backends
      SBC_NODE_CLUSTER: uniqueName('chart').replace(/[^A-Za-z0-9_-]/g, '-'),
      SBC_SIP_LISTEN: `udp:127.0.0.1:${sipPort} advertise 203.0.113.10:5060,tcp:127.0.0.1:${sipPort} advertise 203.0.113.10:5060`,
      SBC_HTTP_HOST: '127.0.0.1',
      SBC_HTTP_PORT: String(httpPort),
      SBC_ADMIN_HOST: '127.0.0.1',
      SBC_ADMIN_PORT: String(adminPort),
      SBC_ADMIN_TOKENS_FILE: join(dir, 'admin-tokens'),
      SBC_DISPATCHER_LIST_FILE: join(dir, 'dispatcher.list'),
      SBC_STATE_REDIS_URL: inject('redisUrl'),
      SBC_BUS_SERVERS: inject('natsUrl'),
    };
    proc = spawn(process.execPath, [...ENTRY_FLAGS, join(REPO, 'dist/sbc.mjs')], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
    proc.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
    exited = new Promise((r) => proc!.once('exit', (code) => r(code)));
    await waitUntil(async () => {
      if (proc!.exitCode !== null) throw new Error(`node exited: ${log}`);
      return (await fetch(`http://127.0.0.1:${httpPort}/readyz`).catch(() => undefined))?.ok === true;
    }, 20_000, 100).catch((err: Error) => { throw new Error(`${err.message}\n${log}`); });
  }, 60_000);

  afterAll(async () => {
    if (proc && proc.exitCode === null) { proc.kill('SIGTERM'); await exited; }
    rmSync(dir, { recursive: true, force: true });
  });

  it('is ready with the chart config: Redis state, NATS bus, the features the values turned on', async () => {
    const { stdout } = await run(process.execPath, [join(REPO, 'bin/sbcctl.mjs'), '--json', 'core.info'], {
      env: { PATH: process.env.PATH ?? '', SBCCTL_URL: `http://127.0.0.1:${adminPort}`, SBCCTL_TOKEN: adminToken }, timeout: 10_000,
    });
    const info = JSON.parse(stdout) as { node: string; state: string; stateUp: boolean; busUp: boolean; features: string[]; sockets: { advertisedHost: string }[] };
    expect(info).toMatchObject({ node: 't-sbc-7d9f-abcde', state: 'redis', stateUp: true, busUp: true });
    expect(info.features).toEqual(expect.arrayContaining(['pike', 'topology', 'acc', 'auth', 'dispatcher']));
    expect(info.sockets.map((s) => s.advertisedHost)).toEqual(['203.0.113.10', '203.0.113.10']);
  });

  it('serves admin only on the admin port, behind the chart-rendered tokens', async () => {
    expect((await fetch(`http://127.0.0.1:${httpPort}/admin/core.info`, { headers: { authorization: `Bearer ${adminToken}` } })).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${adminPort}/admin/core.info`)).status).toBe(401);
  });

  it('loaded the dispatcher.list of the chart', async () => {
    const list = await (await fetch(`http://127.0.0.1:${adminPort}/admin/dispatcher.list`, { headers: { authorization: `Bearer ${adminToken}` } })).json() as { result: { sets: { destinations: { uri: string }[] }[] } };
    expect(list.result.sets[0].destinations.map((d) => d.uri)).toEqual(['sip:gateway-1.voip:5060', 'sip:gateway-2.voip:5060']);
    expect(readFileSync(join(dir, 'sbc.yaml'), 'utf8')).not.toContain(adminToken);
  });
});
