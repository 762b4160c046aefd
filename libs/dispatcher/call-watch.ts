// What the dispatcher learns from the call event stream (libs/proxy
// call-events.ts): relay failures mark their destination (ds_mark_dst in a
// failure_route), and algorithm 10's call load follows each call: counted at
// selection (the dispatch step), moved on failover, kept for ds_hash_expire
// once answered, ended by a failure, a CANCEL or a BYE seen by any node.
// Listeners run on the hot path: Redis calls are fired, never awaited.
import type { Logger } from 'pino';
import type { CallEvent, CallEvents } from '#libs/proxy';
import type { CallLoadStore } from '#libs/state';
import type { DispatcherMetrics } from './metrics.ts';
import type { DispatcherState, FailureMark } from './state.ts';
import type { Thresholds } from './state-machine.ts';
import { DispatchedHop } from './step.ts';

export interface CallWatchOptions {
  readonly ds: DispatcherState;
  readonly calls: Pick<CallEvents, 'on'>;
  readonly logger: Logger;
  readonly metrics?: DispatcherMetrics;
  /** mark_on_failure; undefined = off */
  readonly mark?: FailureMark;
  /** which branch failures mark: failover codes, and a branch silent until its timeout */
  readonly failover: { readonly codes: ReadonlySet<number>; readonly onTimeout: boolean };
  readonly thresholds: Thresholds;
  /** algorithm 10 only: the store its loads live in */
  readonly callLoad?: CallLoadStore;
  /** ds_hash_initexpire, ds_hash_expire (ms) */
  readonly initExpireMs: number;
  readonly expireMs: number;
}

/** Marks failed destinations and keeps call load current; returns the unsubscribe function. */
export function watchCalls(o: CallWatchOptions): () => void {
  const warn = (err: unknown, what: string) => o.logger.debug({ err }, `dispatcher: ${what} failed (the call's load expires by itself)`);
  // duids per set and of all sets, rebuilt after a reload (not per event: this runs per call)
  let bySet = new Map<number, string[]>();
  let all: string[] = [];
  const index = () => {
    bySet = new Map();
    const every = new Set<string>();
    for (const id of o.ds.setIds()) {
      const ids = [...new Set((o.ds.getSet(id)?.destinations ?? []).flatMap((d) => (d.attrs.duid === undefined ? [] : [d.attrs.duid])))];
      bySet.set(id, ids);
      ids.forEach((x) => every.add(x));
    }
    all = [...every];
  };
  index();
  const offReload = o.ds.on('reload', index);
  const duidsOf = (setId?: number): string[] => (setId === undefined ? all : bySet.get(setId) ?? []);

  const onFailed = (e: Extract<CallEvent, { type: 'branch.failed' }>, hop: DispatchedHop) => {
    if (o.mark === undefined) return;
    const failed = e.cause === 'status' ? o.failover.codes.has(e.status) : e.cause === 'transport-error' || (o.failover.onTimeout && !e.provisionalReceived);
    if (!failed || o.ds.status(hop.setId, hop.dest.uri) === undefined) return;
    o.ds.markFailed(hop.setId, hop.dest.uri, o.mark, o.thresholds);
    o.metrics?.marked(hop.setId, hop.dest.uri, e.cause === 'status' ? 'code' : 'timeout');
  };

  const load = o.callLoad;
  const onLoad = (e: CallEvent) => {
    if (load === undefined || e.method !== 'INVITE' || e.callId === '') return;
    switch (e.type) {
      case 'branch.sent': {
        const hop = e.branch.hop.data;
        if (e.branch.attempt === 0 || !(hop instanceof DispatchedHop) || hop.dest.attrs.duid === undefined) return;
        // failover: the call now loads the next destination
        const duid = hop.dest.attrs.duid;
        load.endAny(duidsOf(hop.setId), e.callId).then(() => load.start(duid, e.callId, o.initExpireMs)).catch((err: unknown) => warn(err, 'moving a call\'s load'));
        return;
      }
      case 'branch.answered': {
        const hop = e.branch.hop.data;
        if (hop instanceof DispatchedHop && hop.dest.attrs.duid !== undefined) load.refresh(hop.dest.attrs.duid, e.callId, o.expireMs).catch((err: unknown) => warn(err, 'keeping an answered call'));
        return;
      }
      case 'request.completed':
        if (e.status >= 300) load.endAny(duidsOf(), e.callId).catch((err: unknown) => warn(err, 'ending a failed call'));
        return;
      default:
    }
  };

  const offCalls = o.calls.on((e) => {
    if (e.type === 'branch.failed' && e.branch.hop.data instanceof DispatchedHop) onFailed(e, e.branch.hop.data);
    if (e.type === 'dialog.ended') {
      if (load !== undefined && e.callId !== '') load.endAny(duidsOf(), e.callId).catch((err: unknown) => warn(err, 'ending a call'));
      return;
    }
    onLoad(e);
  });
  return () => { offCalls(); offReload(); };
}
