// Child processes of the sipp kit (sipp, kamailio, an SBC node): each runs in
// its own process group under coreutils `timeout`, so that
//  - a stop() ends the whole group (kamailio forks workers, tsx forks node),
//  - CPU time can be summed over the group from /proc,
//  - nothing outlives its lifetime even if the test runner is SIGKILLed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface GroupSpec {
  cmd: string;
  args: string[];
  cwd: string;
  /** file that receives stdout and stderr (opened for append) */
  logFile: string;
  /** hard upper bound on the process lifetime; `timeout` kills the group after it */
  lifetimeMs: number;
  env?: NodeJS.ProcessEnv;
}

export interface ProcessGroup {
  /** pid of the `timeout` wrapper = the process group id */
  readonly pgid: number;
  readonly child: ChildProcess;
  /** resolves with the wrapper's exit code (124/137 when the lifetime ran out) */
  readonly exited: Promise<number | null>;
  isRunning(): boolean;
  /** SIGTERM to the group, SIGKILL after graceMs; resolves when the wrapper is gone */
  stop(graceMs?: number): Promise<void>;
}

// Last resort only: groups still running when the test process exits are
// killed here. Every caller is still expected to stop() what it started.
const live = new Set<number>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pgid of live) killGroup(pgid, 'SIGKILL');
  });
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/**
 * The test runner's SBC_TEST_* variables (port ranges) are for the harness:
 * a node refuses unknown SBC_* variables, so they stay out of its environment.
 */
function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('SBC_TEST_')) out[k] = v;
  return out;
}

export function spawnGroup(spec: GroupSpec): ProcessGroup {
  installExitHook();
  const seconds = Math.max(1, Math.ceil(spec.lifetimeMs / 1000));
  const fd = openSync(spec.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn('timeout', ['-k', '2', String(seconds), spec.cmd, ...spec.args], {
      cwd: spec.cwd,
      env: childEnv(spec.env ?? process.env),
      detached: true, // own process group, killable as a whole
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  const pgid = child.pid;
  if (pgid === undefined) throw new Error(`could not spawn ${spec.cmd}`);
  live.add(pgid);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      live.delete(pgid);
      // the wrapper is gone; make sure no worker of the group lingers
      killGroup(pgid, 'SIGKILL');
      resolve(code);
    });
    child.once('error', () => {
      live.delete(pgid);
      resolve(null);
    });
  });
  const isRunning = () => child.exitCode === null && child.signalCode === null && live.has(pgid);
  return {
    pgid,
    child,
    exited,
    isRunning,
    async stop(graceMs = 3000) {
      if (!isRunning()) {
        await exited;
        return;
      }
      killGroup(pgid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pgid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // workers SIGKILLed on the wrapper's exit take a moment to go away
      for (let i = 0; i < 100 && groupPids(pgid).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    },
  };
}

/** Pids of every live (non-zombie) process whose process group is pgid. */
export function groupPids(pgid: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (st && st.pgrp === pgid && st.state !== 'Z') pids.push(Number(name));
  }
  return pids;
}

interface ProcStat {
  state: string;
  ppid: number;
  pgrp: number;
  /** utime + stime + cutime + cstime, in clock ticks */
  ticks: number;
  /** minor page faults so far */
  minflt: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm may contain spaces and parentheses: fields start after the last ')'
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); field n is rest[n - 3]
  const num = (field: number) => Number(rest[field - 3]);
  return { state: rest[0], ppid: num(4), pgrp: num(5), minflt: num(10), ticks: num(14) + num(15) + num(16) + num(17) };
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(r.stdout?.trim());
    clockTicks = Number.isFinite(n) && n > 0 ? n : 100;
  }
  return clockTicks;
}

/**
 * CPU time (user + system, including reaped children) of every process in the
 * group, in milliseconds. Resolution is one clock tick (10 ms on Linux).
 */
export function groupCpuMs(pgid: number): number {
  let ticks = 0;
  for (const pid of groupPids(pgid)) ticks += readStat(pid)?.ticks ?? 0;
  return (ticks * 1000) / ticksPerSecond();
}

/** Minor page faults of every live process in the group so far. */
export function groupMinorFaults(pgid: number): number {
  let n = 0;
  for (const pid of groupPids(pgid)) n += readStat(pid)?.minflt ?? 0;
  return n;
}

/**
 * Context switches (voluntary + involuntary) of every thread of every live
 * process in the group so far: how often the proxy went to sleep and woke up.
 */
export function groupContextSwitches(pgid: number): number {
  let n = 0;
  for (const pid of groupPids(pgid)) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
        for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm)) n += Number(m[1]);
      } catch {
        // thread gone meanwhile
      }
    }
  }
  return n;
}

export type Proto = 'udp' | 'tcp';

/**
 * True when a process of the group holds a socket bound to `port` (UDP) or
 * listening on it (TCP). Checked by socket inode, so another program on the
 * same port does not count.
 */
export function groupHoldsPort(pgid: number, port: number, proto: Proto): boolean {
  const inodes = new Set<string>();
  for (const pid of groupPids(pgid)) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]);
      } catch {
        // fd closed meanwhile
      }
    }
  }
  if (inodes.size === 0) return false;
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of proto === 'udp' ? ['udp', 'udp6'] : ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const local = cols[1];
      const state = cols[3];
      const inode = cols[9];
      if (!local.endsWith(`:${portHex}`)) continue;
      if (proto === 'tcp' && state !== '0A') continue; // 0A = LISTEN
      if (inodes.has(inode)) return true;
    }
  }
  return false;
}

/** Wait until the group holds the port, failing early if the group exits. */
export async function waitForGroupPort(group: ProcessGroup, port: number, proto: Proto, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!group.isRunning()) throw new Error(`${what} exited before binding ${proto} port ${port}`);
    if (groupHoldsPort(group.pgid, port, proto)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not bind ${proto} port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Last `maxChars` of a text file, or '' when missing. */
export function tailOf(file: string, maxChars = 2000): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.length > maxChars ? text.slice(-maxChars) : text;
  } catch {
    return '';
  }
}

/** A SIP proxy running as a process group on loopback: what tests and benches need of it. */
export interface ProxyProcess {
  readonly host: string;
  readonly port: number;
  /** process group of the proxy and all its children */
  readonly pgid: number;
  readonly dir: string;
  /** user + system CPU time of every process of the group so far, ms */
  cpuMs(): number;
  pids(): number[];
  /** last lines of the proxy's log */
  logTail(maxChars?: number): string;
  stop(): Promise<void>;
}
