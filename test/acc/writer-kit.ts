// Starts services/cdr-writer as its own process (the bundle `npm run
// cdr-writer` runs), for end-to-end tests: kill -9 and restart like an
// operator's pod. Its admin API opens to a read token and an admin token the
// kit writes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../harness/index.ts';
import { spawnGroup, type ProcessGroup } from '../sipp/index.ts';
import { tailOf } from '../sipp/proc.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** what `npm run cdr-writer` runs: the bundle scripts/build.mjs makes (the test harness builds it first) */
const BUNDLE = join(REPO, 'dist/cdr-writer.mjs');
const TOKEN = 'test-writer-token-0123456789';
const ADMIN_TOKEN = 'test-writer-admin-token-0123456789';

export interface WriterKitOptions {
  databaseUrl: string;
  redisUrl: string;
  cluster: string;
  /** extra cdr_writer keys (--set cdr_writer.<key>=<value>) */
  settings?: Record<string, string | number>;
}

export interface WriterProcess {
  readonly httpPort: number;
  start(): Promise<void>;
  /** SIGKILL, no goodbye (kill -9) */
  kill(): Promise<void>;
  stop(): Promise<void>;
  logTail(): string;
  admin(name: string): Promise<unknown>;
  /** the admin answer as it is (status and body), for error answers; POST with params under the admin token unless `as: 'read'` */
  adminResponse(name: string, post?: { params?: Record<string, unknown>; as?: 'read' | 'admin' }): Promise<{ status: number; body: { result?: unknown; error?: string } }>;
  readyz(): Promise<{ status: number; body: { status?: string; reason?: string } }>;
  metrics(): Promise<string>;
  /** starts the process without waiting for it to be ready; resolves with its exit code once it exits */
  run(): Promise<number | null>;
}

export async function writerProcess(o: WriterKitOptions): Promise<WriterProcess> {
  const httpPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sbc-cdr-writer-'));
  const logFile = join(dir, 'writer.log');
  const tokensFile = join(dir, 'admin-tokens');
  writeFileSync(tokensFile, `test read ${TOKEN}\ntest-admin admin ${ADMIN_TOKEN}\n`, { mode: 0o600 });
  const sets = { database_url: o.databaseUrl, redis_url: o.redisUrl, cluster: o.cluster, http_port: httpPort, log_level: 'info', ...o.settings };
  const args = [BUNDLE, ...Object.entries(sets).flatMap(([k, v]) => ['--set', `cdr_writer.${k}=${v}`]), '--set', `admin.tokens_file=${tokensFile}`];
  let group: ProcessGroup | undefined;
  const url = (path: string) => `http://127.0.0.1:${httpPort}${path}`;
  const self: WriterProcess = {
    httpPort,
    run() {
      group = spawnGroup({ cmd: process.execPath, args, cwd: REPO, logFile, lifetimeMs: 300_000 });
      return group.exited;
    },
    async start() {
      group = spawnGroup({ cmd: process.execPath, args, cwd: REPO, logFile, lifetimeMs: 300_000 });
      const deadline = Date.now() + 20_000;
      for (;;) {
        const ok = await fetch(url('/readyz')).then((r) => r.ok, () => false);
        if (ok) return;
        if (!group.isRunning() || Date.now() > deadline) throw new Error(`cdr-writer did not start:\n${tailOf(logFile, 3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async kill() {
      const g = group;
      if (g === undefined || !g.isRunning()) return;
      try { process.kill(-g.pgid, 'SIGKILL'); } catch { /* gone */ }
      await g.exited;
    },
    async stop() {
      await group?.stop(5000);
      if (!process.env.KEEP_NODE_DIR) rmSync(dir, { recursive: true, force: true });
    },
    logTail: () => tailOf(logFile, 4000),
    async admin(name) {
      const res = await fetch(url(`/admin/${name}`), { headers: { authorization: `Bearer ${TOKEN}` } });
      const body = (await res.json()) as { result?: unknown; error?: string };
      if (!res.ok) throw new Error(`${name}: ${res.status} ${body.error}`);
      return body.result;
    },
    async adminResponse(name, post) {
      const init: RequestInit = post === undefined
        ? { headers: { authorization: `Bearer ${TOKEN}` } }
        : { method: 'POST', headers: { authorization: `Bearer ${post.as === 'read' ? TOKEN : ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(post.params ?? {}) };
      const res = await fetch(url(`/admin/${name}`), { ...init, signal: AbortSignal.timeout(15_000) });
      return { status: res.status, body: (await res.json()) as { result?: unknown; error?: string } };
    },
    async readyz() {
      const res = await fetch(url('/readyz'));
      return { status: res.status, body: (await res.json()) as { status?: string; reason?: string } };
    },
    metrics: () => fetch(url('/metrics')).then((r) => r.text()),
  };
  return self;
}
