// Finds or starts the PostgreSQL the accounting tests write to. Order:
// DATABASE_URL; else a private cluster (initdb + pg_ctl from the Debian
// package, /usr/lib/postgresql/<v>/bin) in a temp dir on a free port, with
// trust auth on loopback, fsync off, gone when the run ends. The machine's own
// server on 5432 is never used unless DATABASE_URL names it. As root, the
// cluster runs as the `postgres` user (PostgreSQL refuses to run as root).
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, waitForPort, type ServerHandle } from './servers.ts';

const HOW = 'set DATABASE_URL (postgres://user@host:port/db), or install PostgreSQL (apt-get install postgresql: the harness runs its initdb/pg_ctl)';

function pgBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (existsSync(join(base, v, 'bin', 'pg_ctl'))) return join(base, v, 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim() !== '') return join(which.stdout.trim(), '..');
  return undefined;
}

function userId(name: string): { uid: number; gid: number } | undefined {
  const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) return undefined;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** Runs a PostgreSQL binary, as the postgres user when we are root. */
function runPg(bin: string, args: string[], asPostgres: boolean): { ok: boolean; out: string } {
  const cmd = asPostgres ? 'runuser' : bin;
  const argv = asPostgres ? ['-u', 'postgres', '--', bin, ...args] : args;
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

export async function spawnPostgres(): Promise<ServerHandle> {
  const bin = pgBinDir();
  if (bin === undefined) throw new Error(`No PostgreSQL for the tests: ${HOW}`);
  const root = userInfo().uid === 0;
  const owner = root ? userId('postgres') : undefined;
  if (root && owner === undefined) throw new Error('running as root and there is no `postgres` user to run PostgreSQL as (apt-get install postgresql creates it)');
  const dir = mkdtempSync('/tmp/sbc-pg-');
  if (owner !== undefined) { chownSync(dir, owner.uid, owner.gid); chmodSync(dir, 0o700); }
  const data = join(dir, 'data');
  const init = runPg(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--no-locale'], root);
  if (!init.ok) { rmSync(dir, { recursive: true, force: true }); throw new Error(`initdb failed: ${init.out.slice(-500)}`); }
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  const start = async () => {
    const r = runPg(join(bin, 'pg_ctl'), ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '30', 'start'], root);
    if (!r.ok) throw new Error(`pg_ctl start failed: ${r.out.slice(-500)}`);
    await waitForPort(port);
  };
  const kill = async () => { runPg(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], root); };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    source: 'spawned',
    start,
    kill,
    restart: async () => { await kill(); await start(); },
    stop: async () => { await kill(); rmSync(dir, { recursive: true, force: true }); },
  };
}

export async function findPostgres(): Promise<ServerHandle> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, source: 'env', stop: async () => undefined };
  return spawnPostgres();
}

/**
 * Ends a pool and waits until its connections have closed. pool.end() resolves
 * as soon as it has asked each connection to close; a database dropped WITH
 * (FORCE) right after it terminates the ones still closing (FATAL 57P01),
 * which the pool re-emits as an 'error' nobody listens to any more: an
 * uncaught exception in the test file.
 */
export async function endPool(pool: pg.Pool): Promise<void> {
  let open = pool.totalCount;
  const closed = new Promise<void>((resolve) => {
    if (open === 0) resolve();
    pool.on('remove', () => { if (--open === 0) resolve(); });
  });
  await pool.end();
  await closed;
}

/** A fresh database for one test file on the harness server; returns its URL and a drop function. */
export async function createTestDatabase(serverUrl: string, label: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `t_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try { await admin.query(`CREATE DATABASE ${name}`); } finally { await admin.end(); }
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try { await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); } finally { await c.end(); }
    },
  };
}
