// Parsers for sipp's trace files (pure functions; the driver reads the files).
//  - `-trace_stat -stf F`: semicolon CSV, a header then one row per -fd
//    period plus a final row at exit. "(C)" columns are cumulative.
//  - `-trace_rtt`: "Date_ms;response_time_ms;rtd_no", one row per measured
//    response time (rtd="true" in the scenario marks where it ends).

export interface SippCounters {
  /** calls created by this sipp (outgoing for a UAC, incoming for a UAS) */
  created: number;
  incoming: number;
  outgoing: number;
  successful: number;
  failed: number;
  /** calls still running when the row was written */
  current: number;
  retransmissions: number;
  /** non-zero Failed*(C) columns, by reason (e.g. MaxUDPRetrans, UnexpectedMessage) */
  failedBy: Record<string, number>;
  /** messages sipp could not match to a call */
  outOfCallMessages: number;
  deadCallMessages: number;
  /** cumulative call rate sipp reached, calls per second */
  callRate: number;
  /** elapsed test time of the cumulative counters, ms */
  elapsedMs: number;
}

/** Parse the last data row of a `-trace_stat` CSV; undefined when there is none. */
export function parseStatsCsv(text: string): SippCounters | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  if (lines.length < 2) return undefined;
  const header = lines[0].split(';');
  const row = lines[lines.length - 1].split(';');
  const col = new Map<string, string>();
  header.forEach((name, i) => col.set(name, row[i] ?? ''));
  const num = (name: string) => {
    const v = Number(col.get(name));
    return Number.isFinite(v) ? v : 0;
  };
  const failedBy: Record<string, number> = {};
  for (const name of header) {
    const m = /^Failed(\w+)\(C\)$/.exec(name);
    if (m && m[1] !== 'Call' && num(name) > 0) failedBy[m[1]] = num(name);
  }
  return {
    created: num('TotalCallCreated'),
    incoming: num('IncomingCall(C)'),
    outgoing: num('OutgoingCall(C)'),
    successful: num('SuccessfulCall(C)'),
    failed: num('FailedCall(C)'),
    current: num('CurrentCall'),
    retransmissions: num('Retransmissions(C)'),
    failedBy,
    outOfCallMessages: num('OutOfCallMsgs(C)'),
    deadCallMessages: num('DeadCallMsgs(C)'),
    callRate: num('CallRate(C)'),
    elapsedMs: parseDuration(col.get('ElapsedTime(C)') ?? ''),
  };
}

/** sipp durations: "HH:MM:SS" or "HH:MM:SS:uuuuuu". */
export function parseDuration(text: string): number {
  const parts = text.split(':').map(Number);
  if (parts.length < 3 || parts.some((p) => !Number.isFinite(p))) return 0;
  const [h, m, s, us = 0] = parts;
  return ((h * 60 + m) * 60 + s) * 1000 + us / 1000;
}

/** Response times (ms) of one rtd counter from a `-trace_rtt` CSV. */
export function parseRttCsv(text: string, rtdNo = 1): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(';');
    if (cols.length < 3) continue;
    const ms = Number(cols[1]);
    if (Number(cols[2]) === rtdNo && Number.isFinite(ms) && cols[1] !== '') out.push(ms);
  }
  return out;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles; undefined for an empty sample. */
export function summarize(samples: readonly number[]): LatencySummary | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    p50: rank(50),
    p90: rank(90),
    p99: rank(99),
    max: sorted[sorted.length - 1],
    mean: sum / sorted.length,
  };
}

export interface MessageTrace {
  /** INVITE -> 200 per call, ms (microsecond resolution) */
  setupMs: number[];
  /** when each call's first INVITE left, epoch ms, in log order */
  inviteSentAt: number[];
}

/**
 * Reads a `-trace_shortmsg` log: tab-separated "date time epoch S|R call-id
 * CSeq:n METHOD first-line". sipp's own -trace_rtt uses a coarse clock (4 ms
 * steps on this kernel), so latency figures come from here. Retransmitted
 * INVITEs keep the first send; 200 retransmissions count once.
 */
export function parseShortMessages(text: string): MessageTrace {
  const sent = new Map<string, number>();
  const answered = new Set<string>();
  const setupMs: number[] = [];
  const inviteSentAt: number[] = [];
  for (const line of text.split('\n')) {
    const cols = line.split('\t');
    if (cols.length < 7) continue;
    const [, , epoch, dir, callId, cseq, first] = cols;
    if (!/ INVITE$/.test(cseq)) continue;
    const t = Number(epoch) * 1000;
    if (dir === 'S' && first.startsWith('INVITE ')) {
      if (!sent.has(callId)) {
        sent.set(callId, t);
        inviteSentAt.push(t);
      }
    } else if (dir === 'R' && first.startsWith('SIP/2.0 200')) {
      const t0 = sent.get(callId);
      if (t0 !== undefined && !answered.has(callId)) {
        setupMs.push(t - t0);
        answered.add(callId);
      }
    }
  }
  return { setupMs, inviteSentAt };
}

/** Calls per second between the first and the last new INVITE; undefined below 2 calls. */
export function sendRate(inviteSentAt: readonly number[]): number | undefined {
  if (inviteSentAt.length < 2) return undefined;
  const span = inviteSentAt[inviteSentAt.length - 1] - inviteSentAt[0];
  return span > 0 ? ((inviteSentAt.length - 1) * 1000) / span : undefined;
}
