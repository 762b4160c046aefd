// Runs the reference Kamailio (kamailio.cfg beside this file) as a child
// process: fills the cfg template, writes the dispatcher list, starts
// `kamailio -DD -E` in a temp dir and waits until it answers OPTIONS.
// Used by test/sipp/sipp.test.ts and by bench/calls.ts.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/harness/index.ts';
import { dispatcherList, type GatewayAddress } from '../../test/sipp/dispatcher.ts';
import { groupCpuMs, groupPids, spawnGroup, tailOf, waitForGroupPort, type ProxyProcess } from '../../test/sipp/proc.ts';
import { sipOptionsPing } from '../../test/sipp/sip-ping.ts';

export const KAMAILIO_BIN = '/usr/sbin/kamailio';
const TEMPLATE = fileURLToPath(new URL('./kamailio.cfg', import.meta.url));
const MODULE_DIRS = [
  '/usr/lib/x86_64-linux-gnu/kamailio/modules/',
  '/usr/lib/aarch64-linux-gnu/kamailio/modules/',
  '/usr/lib/kamailio/modules/',
  '/usr/local/lib64/kamailio/modules/',
];

export interface KamailioOptions {
  /** gateways of dispatcher set 1, in list order (round robin follows it) */
  gateways: readonly GatewayAddress[];
  /** default 127.0.0.1 */
  host?: string;
  /** UDP and TCP port; default a free one */
  port?: number;
  /** tm fr_timer: no final answer (or no provisional to an INVITE) -> 408 and failover; default 2000 ms */
  frTimerMs?: number;
  /** tm fr_inv_timer: no final answer to an INVITE after a provisional; default 10000 ms */
  frInvTimerMs?: number;
  /** start with -A WITH_PIKE (flood detection on) */
  pike?: boolean;
  /** shared memory pool, MB (-m); default 256: the Debian default of 64 runs out of transactions near 400 cps */
  shmMb?: number;
  /** per-process private memory, MB (-M); default 16 */
  pkgMb?: number;
  /** kamailio `debug` level: -1 errors only, 0 warnings (default), 2 info, 3 debug */
  logLevel?: number;
  /** hard upper bound on the process lifetime; default 10 min */
  lifetimeMs?: number;
  /** keep the temp dir (cfg, list, log) after stop() */
  keepArtifacts?: boolean;
}

/** the reference proxy's process group (main process and workers) */
export type KamailioHandle = ProxyProcess;

export function kamailioAvailable(): boolean {
  return existsSync(KAMAILIO_BIN) && modulesDir() !== undefined;
}

function modulesDir(): string | undefined {
  return MODULE_DIRS.find((d) => existsSync(join(d, 'dispatcher.so')));
}

/** Fill {{NAME}} placeholders; every placeholder must have a value. */
export function renderTemplate(template: string, values: Record<string, string | number>): string {
  const out = template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`kamailio.cfg placeholder ${whole} has no value`);
    return String(v);
  });
  return out;
}

export async function startKamailio(opts: KamailioOptions): Promise<KamailioHandle> {
  if (!kamailioAvailable()) throw new Error(`kamailio not found (${KAMAILIO_BIN} and its modules; Debian package "kamailio")`);
  const attempts = opts.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await startOnce(opts, opts.port ?? (await freePort(opts.host ?? '127.0.0.1')));
    } catch (err) {
      lastError = err; // most likely the UDP side of the free TCP port was taken
    }
  }
  throw lastError;
}

async function startOnce(opts: KamailioOptions, port: number): Promise<KamailioHandle> {
  const host = opts.host ?? '127.0.0.1';
  const dir = mkdtempSync(join(tmpdir(), 'kamailio-'));
  const listFile = join(dir, 'dispatcher.list');
  const cfgFile = join(dir, 'kamailio.cfg');
  const logFile = join(dir, 'kamailio.log');
  writeFileSync(listFile, dispatcherList(opts.gateways, 1));
  writeFileSync(cfgFile, renderTemplate(readFileSync(TEMPLATE, 'utf8'), {
    LOG_LEVEL: opts.logLevel ?? 0,
    HOST: host,
    PORT: port,
    MODULES_DIR: modulesDir() ?? '',
    DISPATCHER_LIST: listFile,
    FR_TIMER_MS: opts.frTimerMs ?? 2000,
    FR_INV_TIMER_MS: opts.frInvTimerMs ?? 10_000,
  }));
  const args = [
    '-f', cfgFile,
    '-DD', '-E', // stay in the foreground (workers still fork), log to stderr
    '-Y', dir, '-P', join(dir, 'kamailio.pid'), '-w', dir,
    '-m', String(opts.shmMb ?? 256), '-M', String(opts.pkgMb ?? 16),
    ...(opts.pike ? ['-A', 'WITH_PIKE'] : []),
  ];
  const group = spawnGroup({ cmd: KAMAILIO_BIN, args, cwd: dir, logFile, lifetimeMs: opts.lifetimeMs ?? 600_000 });
  const fail = async (err: unknown) => {
    await group.stop();
    const detail = tailOf(logFile, 3000);
    rmSync(dir, { recursive: true, force: true });
    return new Error(`${(err as Error).message}\n${detail}`);
  };
  try {
    await waitForGroupPort(group, port, 'udp', 10_000, 'kamailio');
    await waitForGroupPort(group, port, 'tcp', 10_000, 'kamailio');
    // bound is not yet serving: wait for the workers to answer a keepalive OPTIONS
    const deadline = Date.now() + 10_000;
    for (;;) {
      const status = await sipOptionsPing({ host, port, timeoutMs: 300 });
      if (status === 200) break;
      if (!group.isRunning()) throw new Error('kamailio exited during start');
      if (Date.now() > deadline) throw new Error(`kamailio did not answer OPTIONS with 200 (last: ${status ?? 'no answer'})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    throw await fail(err);
  }
  return {
    host, port, pgid: group.pgid, dir,
    cpuMs: () => groupCpuMs(group.pgid),
    pids: () => groupPids(group.pgid).filter((p) => p !== group.pgid),
    logTail: (maxChars = 3000) => tailOf(logFile, maxChars),
    async stop() {
      await group.stop(5000);
      if (!opts.keepArtifacts) rmSync(dir, { recursive: true, force: true });
    },
  };
}
