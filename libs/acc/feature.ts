// The accounting feature: subscribes to the call events, adds the `acc` step
// (place final) that notes each initial INVITE's From/To/source, and sends
// the events in batches to the queue (cluster: services/cdr-writer writes the
// records to PostgreSQL) or to the node's own assembler (embedded: a JSON
// Lines file). acc.stats tells how far behind it is.
import { Gauge } from 'prom-client';
import type { NodeConfig } from '#libs/config';
import { authFeature, type AuthHandle } from '#libs/auth';
import { dispatcherFeature, type DispatcherHandle } from '#libs/dispatcher';
import { topologyFeature, type TopologyHandle } from '#libs/topology';
import { defineFeature, type FeatureContext } from '#libs/feature';
import { createRedisJobQueue, topologyOf, type JobQueue } from '#libs/state';
import { accStartStep, callEventToAcc, countingEmit, hopDuid, type CoreCallIdOf, type UserOf } from './adapter.ts';
import { accSection, type AccConfig } from './config.ts';
import { AccEmitter, EMITTER_METRIC_NAMES } from './emitter.ts';
import type { AccBatch } from './events.ts';
import { LocalAssembler } from './local.ts';
import { ACC_METRIC_NAMES, createCallMetrics } from './metrics.ts';

type Cfg = NodeConfig & { readonly acc: AccConfig };

/** 1 for the node's sink: lets an alert tell a cluster that needs a cdr-writer (queue) from a single node (file) */
export const ACC_SINK_METRIC = 'sbc_acc_sink_info';


export const accFeature = defineFeature<Cfg>({
  name: 'acc',
  doc: 'Accounting (Kamailio acc): one record per call through a BullMQ queue to PostgreSQL (services/cdr-writer), or to a JSON Lines file on a single node.',
  sections: [accSection],
  metrics: [ACC_SINK_METRIC, ...Object.values(EMITTER_METRIC_NAMES), ...Object.values(ACC_METRIC_NAMES)],
  start(ctx) {
    const { config } = ctx;
    const c = config.acc;
    if (!c.enabled) return {};
    const useQueue = c.sink === 'queue' || (c.sink === 'auto' && config.state.backend === 'redis');
    const log = ctx.logger;
    let queue: JobQueue<AccBatch> | undefined;
    let local: LocalAssembler | undefined;
    if (useQueue) {
      const r = config.state.redis;
      queue = createRedisJobQueue<AccBatch>({
        cluster: config.node.cluster,
        name: c.queue,
        url: r.url,
        topology: topologyOf({ mode: r.mode, url: r.url, nodes: r.nodes, sentinelName: r.sentinel_name, ...(r.sentinel_password !== undefined ? { sentinelPassword: r.sentinel_password } : {}) }),
        keyPrefix: r.key_prefix.replace(/:$/, ''),
        redis: { ...(r.password !== undefined ? { password: r.password } : {}), ...(r.tls ? { tls: {} } : {}) },
        logger: log,
      });
    } else {
      local = new LocalAssembler({ file: c.file, expiry: { setupExpireMs: c.setup_expire, dialogExpireMs: c.dialog_expire }, metrics: createCallMetrics(ctx.registry), logger: log });
    }
    const q = queue;
    const emitter = new AccEmitter({
      node: config.node.id,
      sink: q !== undefined ? { send: (b, id) => q.add(id, b) } : (local as LocalAssembler),
      flushMs: c.flush_interval,
      maxBatch: c.max_batch,
      maxBuffered: c.max_buffered,
      registry: ctx.registry,
      logger: log,
    });
    const emit = countingEmit((ev) => emitter.emit(ev));
    const byUri = duidByUri(ctx);
    const duidOf = (hop: Parameters<typeof hopDuid>[0]) => hopDuid(hop, byUri);
    const user = authUserOf(ctx);
    const off = ctx.calls.on((ev) => callEventToAcc(ev, emit, duidOf, user));
    new Gauge({ name: ACC_SINK_METRIC, help: 'accounting sink of this node (1 for its sink): queue = a cdr-writer must consume the queue, file = records assembled on this node', labelNames: ['sink'], registers: [ctx.registry] })
      .set({ sink: useQueue ? 'queue' : 'file' }, 1);
    log.info({ sink: useQueue ? `queue ${c.queue}` : `file ${c.file}` }, 'accounting on');
    return {
      steps: [{ place: 'final', step: accStartStep(emit, user, coreCallIdOf(ctx)) }],
      admin: [{
        name: 'acc.stats',
        mutates: false,
        help: 'Accounting on this node: events emitted, buffered and dropped; with the queue sink its depth, lag of the oldest batch and dead letters; with the file sink the open calls and records written.',
        run: async () => ({
          sink: useQueue ? 'queue' : 'file',
          node: emitter.snapshot(),
          ...(q !== undefined ? { queue: await q.counts() } : {}),
          ...(local !== undefined ? { file: { path: c.file, ...local.stats() } } : {}),
        }),
      }],
      async stop() {
        off();
        await emitter.close();
        await q?.close();
        await local?.close();
      },
    };
  },
});

/** The digest user a request authenticated as (the auth feature, when the node runs it): the records' auth_user. */
function authUserOf(ctx: FeatureContext<Cfg>): UserOf {
  let handle: AuthHandle;
  try { handle = ctx.use(authFeature); } catch { return () => undefined; }
  return (msg) => handle.authenticatedUser(msg);
}

/** The core-side Call-ID when topology hiding masks Call-IDs (the records' core_callid). */
function coreCallIdOf(ctx: FeatureContext<Cfg>): CoreCallIdOf | undefined {
  let handle: TopologyHandle;
  try { handle = ctx.use(topologyFeature); } catch { return undefined; }
  return (msg) => handle.otherLegCallId(msg);
}

/** duid of a dispatcher destination by its URI (when the hop carries no destination of its own). */
function duidByUri(ctx: FeatureContext<Cfg>): ((uri: string) => string | undefined) | undefined {
  let handle: DispatcherHandle;
  try { handle = ctx.use(dispatcherFeature); } catch { return undefined; }
  let map = new Map<string, string>();
  let builtAt = 0;
  return (uri) => {
    const now = Date.now();
    if (now - builtAt > 1000) {
      map = new Map();
      for (const s of handle.state.list()) for (const d of s.destinations) if (d.duid !== undefined) map.set(d.uri, d.duid);
      builtAt = now;
    }
    return map.get(uri);
  };
}
