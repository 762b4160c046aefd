// The sipp driver: gateways (UAS) that run until stopped, and callers (UAC)
// that run a bounded number of calls and return parsed statistics.
// Every sipp runs in its own temp dir (sipp writes its trace files into the
// working directory), binds to loopback, and has a hard lifetime.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../harness/index.ts';
import { spawnGroup, tailOf, waitForGroupPort, type ProcessGroup, type Proto } from './proc.ts';
import { scenarioPath, type ScenarioRef } from './scenarios.ts';
import { parseRttCsv, parseShortMessages, parseStatsCsv, sendRate, summarize, type LatencySummary, type SippCounters } from './stats.ts';

interface CommonOptions {
  /** kit scenario name (see SCENARIOS) or a path to an .xml file */
  scenario: ScenarioRef;
  /** default udp */
  transport?: Proto;
  /** one socket per call (sipp -t un / tn) instead of one shared socket */
  socketPerCall?: boolean;
  /** appended to sipp's command line as is */
  extraArgs?: string[];
  /** keep sipp's trace files (screen, errors, stats) even when all went well */
  keepArtifacts?: boolean;
}

export interface UasOptions extends CommonOptions {
  /** default 127.0.0.1 */
  host?: string;
  /** default: a free port */
  port?: number;
  /** hard upper bound on how long this gateway lives; default 120 s */
  lifetimeMs?: number;
}

export interface UasHandle {
  readonly host: string;
  readonly port: number;
  readonly transport: Proto;
  readonly pgid: number;
  /** the temp dir with sipp's trace files */
  readonly dir: string;
  /** counters from sipp's periodic stats row (refreshed every second) */
  counts(): SippCounters;
  isRunning(): boolean;
  /** ends sipp and returns its final counters (incoming = calls this gateway received) */
  stop(): Promise<SippCounters>;
}

export interface UacOptions extends Omit<CommonOptions, 'scenario'> {
  /** default 'uac' */
  scenario?: ScenarioRef;
  /** the proxy, "host:port" */
  target: string;
  /** calls to place (sipp -m); default 1 */
  calls?: number;
  /** calls per second (sipp -r); default 10 */
  rate?: number;
  /** max simultaneous calls (sipp -l); default: room for twice the calls the rate and hold time keep open */
  limit?: number;
  /** call hold time between ACK and BYE (sipp -d), ms; default 0 */
  holdMs?: number;
  /** Request-URI user (sipp -s); default "service" */
  service?: string;
  /** default 127.0.0.1 */
  localHost?: string;
  /** default: a free port */
  localPort?: number;
  /** hard bound on the whole run (sipp -timeout, then kill); default 30 s */
  timeoutMs?: number;
  /** log every message's time (sipp -trace_shortmsg) for precise INVITE -> 200 times; default true */
  traceMessages?: boolean;
}

export interface UacResult extends SippCounters {
  /** calls sipp placed */
  attempted: number;
  /** sipp's exit code: 0 all calls succeeded, 1 some failed, 255 fatal or sipp's own timeout, 124/137 killed at the hard timeout */
  exitCode: number | null;
  /** the run hit timeoutMs before all calls ended */
  timedOut: boolean;
  /** wall time of the run, ms */
  wallMs: number;
  /** sipp's response time 1 (rtd="true": INVITE -> 200 in uac.xml), ms, in sipp's coarse 4 ms steps */
  rtt: LatencySummary | undefined;
  /** INVITE -> 200 per call from the message trace, ms with microsecond resolution (traceMessages) */
  setup: LatencySummary | undefined;
  setupSamples: number[];
  /** rate at which new INVITEs actually left, cps (traceMessages); sipp's callRate also counts the last calls' tail */
  sendRate: number | undefined;
  /** tail of sipp's -trace_err log ('' when clean) */
  errors: string;
  /** temp dir with the trace files, kept when calls failed or keepArtifacts is set */
  artifactsDir: string | undefined;
}

const SIPP = 'sipp';

function transportFlag(transport: Proto, perCall: boolean): string[] {
  const mode = transport === 'udp' ? (perCall ? 'un' : 'u1') : (perCall ? 'tn' : 't1');
  // one socket per call needs sipp's socket cap under the open-files limit
  return perCall ? ['-t', mode, '-max_socket', '2000'] : ['-t', mode];
}

/** sipp's own default (3 x rate) throttles calls with a long hold time. */
function defaultLimit(rate: number, holdMs: number): number {
  return Math.max(3 * rate, Math.ceil(rate * (holdMs / 1000 + 1) * 2));
}

/** Options every sipp of the kit gets: no stdin, control and media on loopback. */
function baseArgs(host: string, ctlPort: number, statsFile: string): string[] {
  return [
    '-nostdin',
    '-ci', '127.0.0.1', '-cp', String(ctlPort),
    '-mi', host,
    '-trace_stat', '-stf', statsFile, '-fd', '1',
    '-trace_err',
    '-trace_screen',
  ];
}

function readCounters(file: string): SippCounters | undefined {
  try {
    return parseStatsCsv(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function emptyCounters(): SippCounters {
  return {
    created: 0, incoming: 0, outgoing: 0, successful: 0, failed: 0, current: 0, retransmissions: 0,
    failedBy: {}, outOfCallMessages: 0, deadCallMessages: 0, callRate: 0, elapsedMs: 0,
  };
}

function findFile(dir: string, suffix: string): string | undefined {
  try {
    const name = readdirSync(dir).find((f) => f.endsWith(suffix));
    return name ? join(dir, name) : undefined;
  } catch {
    return undefined;
  }
}

/** Start a sipp gateway; resolves once its SIP socket is bound. */
export async function startUas(opts: UasOptions): Promise<UasHandle> {
  const attempts = opts.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await startUasOnce(opts, opts.port ?? (await freePort(opts.host ?? '127.0.0.1')));
    } catch (err) {
      lastError = err; // a port taken between freePort() and sipp's bind: try another
    }
  }
  throw lastError;
}

async function startUasOnce(opts: UasOptions, port: number): Promise<UasHandle> {
  const host = opts.host ?? '127.0.0.1';
  const transport = opts.transport ?? 'udp';
  const dir = mkdtempSync(join(tmpdir(), 'sipp-uas-'));
  const statsFile = join(dir, 'stats.csv');
  const logFile = join(dir, 'sipp.log');
  const args = [
    '-sf', scenarioPath(opts.scenario),
    '-i', host, '-p', String(port),
    ...transportFlag(transport, opts.socketPerCall ?? false),
    ...baseArgs(host, await freePort(), statsFile),
    ...(opts.extraArgs ?? []),
  ];
  const group = spawnGroup({ cmd: SIPP, args, cwd: dir, logFile, lifetimeMs: opts.lifetimeMs ?? 120_000 });
  try {
    await waitForGroupPort(group, port, transport, 10_000, `sipp gateway (${opts.scenario})`);
  } catch (err) {
    await group.stop();
    const detail = tailOf(logFile, 1500) + tailOf(findFile(dir, '_errors.log') ?? '', 1500);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${detail}`);
  }
  let final: SippCounters | undefined;
  return {
    host, port, transport, pgid: group.pgid, dir,
    counts: () => final ?? readCounters(statsFile) ?? emptyCounters(),
    isRunning: () => group.isRunning(),
    async stop() {
      if (final) return final;
      // SIGTERM makes sipp write its final stats row before exiting
      await group.stop();
      final = readCounters(statsFile) ?? emptyCounters();
      if (!opts.keepArtifacts) rmSync(dir, { recursive: true, force: true });
      return final;
    },
  };
}

/** sipp's exit codes: 255 fatal (also its own -timeout with -timeout_error), 254 socket not bound. */
const EXIT_FATAL = 255;
const EXIT_BIND_FAILED = 254;

class BindFailed extends Error {}

/** Run a sipp caller to completion (or to timeoutMs) and return its statistics. */
export async function runUac(opts: UacOptions): Promise<UacResult> {
  // a free port chosen by us may be taken before sipp binds it: try another
  for (let attempt = 1; ; attempt++) {
    try {
      return await runUacOnce(opts);
    } catch (err) {
      if (!(err instanceof BindFailed) || opts.localPort !== undefined || attempt >= 3) throw err;
    }
  }
}

async function runUacOnce(opts: UacOptions): Promise<UacResult> {
  const localHost = opts.localHost ?? '127.0.0.1';
  const transport = opts.transport ?? 'udp';
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const dir = mkdtempSync(join(tmpdir(), 'sipp-uac-'));
  const statsFile = join(dir, 'stats.csv');
  const logFile = join(dir, 'sipp.log');
  const localPort = opts.localPort ?? (await freePort(localHost));
  const args = [
    opts.target,
    '-sf', scenarioPath(opts.scenario ?? 'uac'),
    '-i', localHost, '-p', String(localPort),
    ...transportFlag(transport, opts.socketPerCall ?? false),
    '-m', String(opts.calls ?? 1),
    '-r', String(opts.rate ?? 10), '-rp', '1000',
    '-l', String(opts.limit ?? defaultLimit(opts.rate ?? 10, opts.holdMs ?? 0)),
    '-d', String(opts.holdMs ?? 0),
    '-s', opts.service ?? 'service',
    '-timeout', `${Math.max(1, Math.ceil(timeoutMs / 1000))}s`, '-timeout_error',
    '-trace_rtt', '-rtt_freq', '1',
    ...(opts.traceMessages === false ? [] : ['-trace_shortmsg']),
    ...baseArgs(localHost, await freePort(), statsFile),
    ...(opts.extraArgs ?? []),
  ];
  const started = Date.now();
  const group: ProcessGroup = spawnGroup({ cmd: SIPP, args, cwd: dir, logFile, lifetimeMs: timeoutMs + 3000 });
  let killed = false;
  const hardStop = setTimeout(() => { killed = true; void group.stop(1000); }, timeoutMs + 5000);
  let exitCode: number | null;
  try {
    exitCode = await group.exited;
  } finally {
    clearTimeout(hardStop);
  }
  const wallMs = Date.now() - started;
  const counters = readCounters(statsFile);
  const errorsFile = findFile(dir, '_errors.log');
  const errors = errorsFile ? tailOf(errorsFile, 4000) : '';
  // 254: sipp could not bind its socket: a broken run, not failed calls
  if (!counters || exitCode === EXIT_BIND_FAILED) {
    const detail = tailOf(logFile, 2000);
    rmSync(dir, { recursive: true, force: true });
    const Failure = exitCode === EXIT_BIND_FAILED ? BindFailed : Error;
    throw new Failure(`sipp caller (${opts.scenario ?? 'uac'}) to ${opts.target} failed to run (exit ${exitCode}):\n${errors}\n${detail}`);
  }
  const rttFile = findFile(dir, '_rtt.csv');
  const rttSamples = rttFile ? parseRttCsv(readFileSync(rttFile, 'utf8')) : [];
  const msgFile = findFile(dir, '_shortmessages.log');
  const trace = msgFile ? parseShortMessages(readFileSync(msgFile, 'utf8')) : { setupMs: [], inviteSentAt: [] };
  const timedOut = killed || exitCode === 124 || exitCode === 137 || wallMs >= timeoutMs
    || (exitCode === EXIT_FATAL && /timed out after/.test(errors));
  const keep = opts.keepArtifacts || counters.failed > 0 || exitCode !== 0;
  if (!keep) rmSync(dir, { recursive: true, force: true });
  return {
    ...counters,
    attempted: counters.created,
    exitCode,
    timedOut,
    wallMs,
    rtt: summarize(rttSamples),
    setup: summarize(trace.setupMs),
    setupSamples: trace.setupMs,
    sendRate: sendRate(trace.inviteSentAt),
    errors,
    artifactsDir: keep ? dir : undefined,
  };
}
