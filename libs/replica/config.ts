// ClusterConfig: cluster-wide config hot reload. apply(kind, doc) on any node
// stores the document with the next version (ConfigStore rejects a version
// that is not greater: no two nodes can both win the same version), then
// announces it on sbc.<cluster>.config.<kind>; every node calls its
// listeners with (kind, doc, version). Older or equal versions are ignored.
// A node that starts later, or missed the news, loads from the store.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Bus, BusMessage, Unsubscribe } from '#libs/bus';
import { assertToken } from '#libs/bus';
import type { ConfigDoc, SharedState } from '#libs/state';
import { ReplicaError } from './errors.ts';
import { ReplicaMetrics, type ResyncReason } from './metrics.ts';
import { Resyncer } from './resync.ts';

export const CLUSTER_CONFIG_DEFAULTS = {
  resyncIntervalMs: 30_000,
  /** Larger documents are not inlined in the bus message; receivers read the store. */
  maxInlineDocBytes: 256 * 1024,
  /** apply() retries when another node took the version it tried. */
  maxApplyAttempts: 5,
} as const;

export interface ClusterConfigOptions {
  state: Pick<SharedState, 'config' | 'onStatus'>;
  bus: Bus;
  logger: Logger;
  registry: Registry;
  resyncIntervalMs?: number;
  maxInlineDocBytes?: number;
}

export type ConfigListener = (kind: string, doc: string, version: number) => void;

export class ClusterConfig {
  private readonly docs = new Map<string, ConfigDoc>();
  private readonly listeners = new Set<ConfigListener>();
  private readonly logger: Logger;
  private readonly resyncer: Resyncer;
  private readonly maxInline: number;
  private readonly metrics: ReplicaMetrics;
  private unsubscribe: Unsubscribe | undefined;
  private closed = false;

  /** Subscribes and loads every document from the store.
   *  Rejects (REPLICA_LOAD_FAILED) when the store cannot be read. */
  static async start(opts: ClusterConfigOptions): Promise<ClusterConfig> {
    const c = new ClusterConfig(opts);
    c.unsubscribe = opts.bus.subscribe({ kind: 'config' }, (m) => c.onEvent(m));
    try {
      await c.resyncer.resync('start');
    } catch (cause) {
      await c.close();
      throw new ReplicaError('REPLICA_LOAD_FAILED', 'cannot load cluster config from the store: is Redis reachable (state url)?', { cause });
    }
    c.resyncer.start();
    return c;
  }

  private constructor(private readonly opts: ClusterConfigOptions) {
    this.logger = opts.logger.child({ component: 'cluster-config' });
    this.maxInline = opts.maxInlineDocBytes ?? CLUSTER_CONFIG_DEFAULTS.maxInlineDocBytes;
    const metrics = new ReplicaMetrics(opts.registry, 'config');
    this.metrics = metrics;
    this.resyncer = new Resyncer({
      bus: opts.bus,
      store: opts.state,
      intervalMs: opts.resyncIntervalMs ?? CLUSTER_CONFIG_DEFAULTS.resyncIntervalMs,
      pass: () => this.pass(),
      logger: this.logger,
      metrics,
    });
  }

  /** The current document of a kind, from the local copy. */
  get(kind: string): ConfigDoc | undefined {
    const d = this.docs.get(kind);
    return d && { ...d };
  }

  list(): ConfigDoc[] {
    return [...this.docs.values()].map((d) => ({ ...d }));
  }

  /** Listener for every newer version seen from now on; with replay, also
   *  called at once for each document already held. */
  onChange(cb: ConfigListener, opts: { replay?: boolean } = {}): Unsubscribe {
    this.listeners.add(cb);
    if (opts.replay) for (const d of this.docs.values()) this.call(cb, d);
    return () => { this.listeners.delete(cb); };
  }

  /** Stores doc as the next version of kind and tells the cluster; resolves to
   *  what was stored. Local listeners are called before it resolves. */
  async apply(kind: string, doc: string): Promise<ConfigDoc> {
    if (this.closed) throw new ReplicaError('REPLICA_CLOSED', 'cluster config is closed');
    assertToken('config kind', kind);
    let version = (this.docs.get(kind)?.version ?? 0) + 1;
    for (let attempt = 1; attempt <= CLUSTER_CONFIG_DEFAULTS.maxApplyAttempts; attempt++) {
      const r = await this.opts.state.config.put(kind, doc, version);
      if (r.ok) {
        const stored = { kind, doc, version: r.version };
        this.accept(stored);
        const inline = Buffer.byteLength(doc) <= this.maxInline;
        this.opts.bus.publish({ kind: 'config', name: kind }, { type: 'config.changed', payload: inline ? stored : { kind, version: r.version } });
        return { ...stored };
      }
      version = r.current + 1; // another node got there first: go after it
    }
    throw new ReplicaError('REPLICA_CONFIG_CONFLICT', `config ${kind}: ${CLUSTER_CONFIG_DEFAULTS.maxApplyAttempts} attempts lost the version race to other nodes; retry the change`);
  }

  resync(reason: ResyncReason = 'manual'): Promise<void> {
    return this.resyncer.resync(reason);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.resyncer.stop();
    this.unsubscribe?.();
    this.listeners.clear();
  }

  private onEvent(msg: BusMessage<'config.changed'>): void {
    const { kind, version, doc } = msg.payload;
    if (version <= (this.docs.get(kind)?.version ?? 0)) return; // own echo, duplicate or late
    const fromOther = msg.node !== this.opts.bus.node;
    if (doc !== undefined) {
      this.accept({ kind, doc, version });
      if (fromOther) this.metrics.newsApplied(msg.ts, Date.now());
      return;
    }
    // Too large to inline: read it. The store may hold an even newer version by now.
    this.opts.state.config.get(kind).then(
      (d) => { if (d) { this.accept(d); if (fromOther) this.metrics.newsApplied(msg.ts, Date.now()); } },
      (err: unknown) => this.logger.warn({ err, kind, version }, 'config fetch failed; the next resync will retry'),
    );
  }

  private async pass(): Promise<void> {
    for (const d of await this.opts.state.config.list()) this.accept(d);
  }

  private accept(d: ConfigDoc): void {
    if (d.version <= (this.docs.get(d.kind)?.version ?? 0)) return;
    this.docs.set(d.kind, { ...d });
    this.logger.info({ kind: d.kind, version: d.version }, 'config applied');
    if (this.closed) return;
    for (const cb of this.listeners) this.call(cb, d);
  }

  private call(cb: ConfigListener, d: ConfigDoc): void {
    try { cb(d.kind, d.doc, d.version); } catch (err) { this.logger.error({ err, kind: d.kind }, 'config listener failed'); }
  }
}
