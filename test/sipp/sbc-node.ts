// Starts our SBC node (`tsx services/sbc/main.ts --config <yaml>`) as a child
// process with a generated config: one SIP listener on loopback, an HTTP port,
// a dispatcher list with the given gateways and in-memory state. For bench/
// calls.ts and end-to-end tests; `config` lets a caller add or override keys
// while the config schema settles.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freePort } from '../harness/index.ts';
import { dispatcherList, type GatewayAddress } from './dispatcher.ts';
import { groupCpuMs, groupPids, spawnGroup, tailOf, waitForGroupPort, type ProxyProcess, type Proto } from './proc.ts';
import { sipOptionsPing } from './sip-ping.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const SBC_ENTRY = join(REPO, 'services/sbc/main.ts');
/** what `npm start` runs: the bundle scripts/build.mjs makes (the test harness builds it first) */
export const SBC_BUNDLE = join(REPO, 'dist/sbc.mjs');
const TSX = join(REPO, 'node_modules/.bin/tsx');
/**
 * the V8 flags `npm start` gives the node (package.json). --interrupt-budget:
 * V8 tiers hot functions up to optimized code after a quarter of the default
 * work (67584), so a freshly started node stops running baseline code and
 * compiling on its worker threads sooner (per-call paths run once per call
 * and took thousands of calls to get there). --no-memory-reducer: a node
 * keeps its working set through a lull (services/sbc/memory.ts says why).
 */
const NODE_FLAGS = ['--max-semi-space-size=64', '--single-threaded-gc', '--interrupt-budget=16384', '--no-memory-reducer', '--expose-gc'];

export interface SbcNodeOptions {
  gateways: readonly GatewayAddress[];
  /** default 127.0.0.1 */
  host?: string;
  /** SIP port (UDP, and TCP when transport is tcp); default a free one */
  port?: number;
  /** default udp; tcp listens on both */
  transport?: Proto;
  /** default a free one */
  httpPort?: number;
  /** a TypeScript entry run by tsx instead of the built bundle (dist/sbc.mjs, what npm start runs) */
  entry?: string;
  /** another build's bundle run in its place, as npm start runs it (bench/compare.ts' <mode>@<checkout>: A/B of two commits); `entry` wins when both are given */
  bundle?: string;
  /** top-level keys merged over the generated config (shallow, except sip: one level deep) */
  config?: Record<string, unknown>;
  /** extra node flags before the bundle (e.g. --cpu-prof for bench/profile-node.ts) */
  nodeFlags?: string[];
  /** 'options' (default): ready when it answers an OPTIONS with any final status; 'bound': when its SIP socket is bound */
  readiness?: 'options' | 'bound';
  startTimeoutMs?: number;
  /** hard upper bound on the process lifetime; default 10 min */
  lifetimeMs?: number;
  /** keep the node's config, dispatcher list and log in its temp dir after stop (also: env KEEP_NODE_DIR=1, e.g. for a bench run) */
  keepArtifacts?: boolean;
}

export interface SbcNodeHandle extends ProxyProcess {
  readonly httpPort: number;
  readonly configFile: string;
  /** bearer tokens of the node's admin API (admin.tokens_file the harness writes) */
  readonly adminToken: string;
  readonly readToken: string;
}

/** the tokens every harness node accepts: an admin one and a read-only one */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';
export const TEST_READ_TOKEN = 'test-read-token-0123456789';

/** fetch init for an admin call to a harness node: POST with the admin token and a JSON body */
export function adminPost(node: Pick<SbcNodeHandle, 'adminToken'>, params: Record<string, unknown> = {}): RequestInit {
  return { method: 'POST', headers: { authorization: `Bearer ${node.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(params) };
}

async function waitForHttp(host: string, port: number, group: { isRunning(): boolean }, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`).catch(() => undefined);
    if (res?.ok) return;
    if (!group.isRunning()) throw new Error('sbc node exited during start');
    if (Date.now() > deadline) throw new Error(`sbc node's HTTP port ${port} did not answer /healthz within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function sbcEntryExists(): boolean {
  return existsSync(SBC_ENTRY);
}

export async function startSbcNode(opts: SbcNodeOptions): Promise<SbcNodeHandle> {
  const entry = opts.entry ?? opts.bundle ?? SBC_BUNDLE;
  if (!existsSync(entry)) throw new Error(`SBC node entry ${entry} does not exist yet (npm run build makes dist/sbc.mjs)`);
  const host = opts.host ?? '127.0.0.1';
  const transport = opts.transport ?? 'udp';
  const port = opts.port ?? (await freePort(host));
  const httpPort = opts.httpPort ?? (await freePort(host));
  const dir = mkdtempSync(join(tmpdir(), 'sbc-node-'));
  const listFile = join(dir, 'dispatcher.list');
  const configFile = join(dir, 'sbc.yaml');
  const logFile = join(dir, 'sbc.log');
  writeFileSync(listFile, dispatcherList(opts.gateways, 1));
  const tokensFile = join(dir, 'admin-tokens');
  writeFileSync(tokensFile, `test admin ${TEST_ADMIN_TOKEN}\ntest-ro read ${TEST_READ_TOKEN}\n`, { mode: 0o600 });
  const listen = [{ proto: 'udp', host, port }, ...(transport === 'tcp' ? [{ proto: 'tcp', host, port }] : [])];
  const given = opts.config ?? {};
  const config = {
    sip: { listen },
    http: { port: httpPort, host },
    dispatcher: { list_file: listFile },
    state: { backend: 'memory' },
    admin: { tokens_file: tokensFile },
    ...given,
    // sip is merged one level deep: the generated listen sockets stay unless `sip.listen` is given
    ...(typeof given.sip === 'object' && given.sip !== null ? { sip: { listen, ...(given.sip as object) } } : {}),
  };
  writeFileSync(configFile, `# generated by test/sipp/sbc-node.ts\n${stringify(config)}`);
  const group = spawnGroup({
    cmd: opts.entry === undefined ? process.execPath : TSX,
    args: opts.entry === undefined ? [...NODE_FLAGS, ...(opts.nodeFlags ?? []), entry, '--config', configFile] : [entry, '--config', configFile],
    cwd: REPO,
    logFile,
    lifetimeMs: opts.lifetimeMs ?? 600_000,
  });
  // A node that exits by itself (not stopped, not kill -9'd by a test) is a
  // bug the failing test would only show as a refused connection: say why.
  let stopping = false;
  let handedOver = false;
  void group.exited.then((code) => {
    if (handedOver && !stopping && code !== null && code !== 0) console.error(`[sbc-node] node on ${host}:${port} exited with code ${code}\n--- sbc log tail ---\n${tailOf(logFile, 3000)}`);
  });
  const timeoutMs = opts.startTimeoutMs ?? 20_000;
  try {
    await waitForGroupPort(group, port, transport === 'tcp' ? 'tcp' : 'udp', timeoutMs, 'sbc node');
    if ((opts.readiness ?? 'options') === 'options') {
      const deadline = Date.now() + timeoutMs;
      while ((await sipOptionsPing({ host, port, timeoutMs: 300 })) === undefined) {
        if (!group.isRunning()) throw new Error('sbc node exited during start');
        if (Date.now() > deadline) throw new Error(`sbc node did not answer OPTIONS within ${timeoutMs} ms`);
      }
    }
    // the node answers SIP before its HTTP server (metrics, admin) listens, and callers fetch right away;
    // with any readiness (a bundle or the real entry: a fixture entry has no HTTP face)
    if (opts.entry === undefined || opts.entry === SBC_ENTRY) await waitForHttp(host, httpPort, group, timeoutMs);
  } catch (err) {
    stopping = true;
    await group.stop();
    const detail = tailOf(logFile, 3000);
    if (!opts.keepArtifacts && !process.env.KEEP_NODE_DIR) rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n--- sbc log tail ---\n${detail}`);
  }
  handedOver = true;
  return {
    host, port, httpPort, pgid: group.pgid, dir, configFile, adminToken: TEST_ADMIN_TOKEN, readToken: TEST_READ_TOKEN,
    cpuMs: () => groupCpuMs(group.pgid),
    pids: () => groupPids(group.pgid).filter((p) => p !== group.pgid),
    logTail: (maxChars = 3000) => tailOf(logFile, maxChars),
    async stop() {
      stopping = true;
      await group.stop(5000);
      if (!opts.keepArtifacts && !process.env.KEEP_NODE_DIR) rmSync(dir, { recursive: true, force: true });
    },
  };
}
