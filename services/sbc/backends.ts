// sbc_backend_up{backend} and the log lines operators see when Redis or NATS
// go away and come back.
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { Bus } from '#libs/bus';
import type { SharedState } from '#libs/state';

export function watchBackends(deps: { state: SharedState; bus: Bus; registry: Registry; logger: Logger; failMode: unknown }): void {
  const { state, bus, logger } = deps;
  const up = new Gauge({ name: 'sbc_backend_up', help: '1 when the backend answers (redis: shared state, and on a Redis Cluster every slot has a master that answers; nats: cluster news)', labelNames: ['backend'], registers: [deps.registry] });
  // On a Redis Cluster the connection stays up while one shard's master is
  // dead: redis counts as up only when every slot is served too.
  const redisUp = () => state.backend !== 'redis' || (state.status().up && (state.shards?.get().unservedSlots ?? 0) === 0);
  up.set({ backend: 'redis' }, redisUp() ? 1 : 0);
  up.set({ backend: 'nats' }, bus.isUp() ? 1 : 0);
  state.onStatus((s) => {
    up.set({ backend: 'redis' }, redisUp() ? 1 : 0);
    if (s.up) logger.info({ backend: 'redis' }, 'state backend up');
    else logger.warn({ backend: 'redis', err: s.error, failMode: deps.failMode }, 'state backend down: features follow state.fail_mode');
  });
  if (state.shards !== undefined) watchShards(state.shards, () => up.set({ backend: 'redis' }, redisUp() ? 1 : 0), deps);
  bus.onStatus((s) => {
    const isUp = s.type === 'connected' || s.type === 'reconnected';
    up.set({ backend: 'nats' }, isUp ? 1 : 0);
    if (s.type === 'disconnected') logger.warn({ backend: 'nats' }, 'bus down: nodes converge from Redis by periodic resync');
    else if (s.type === 'reconnected') logger.info({ backend: 'nats' }, 'bus up again');
  });
}

/** Redis Cluster slot coverage: a gauge, the backend_up update, and a log line when it changes (at most once a check). */
function watchShards(shards: NonNullable<SharedState['shards']>, update: () => void, deps: { registry: Registry; logger: Logger }): void {
  const unserved = new Gauge({ name: 'sbc_state_redis_unserved_slots', help: 'Redis Cluster slots (of 16384) whose master is missing or does not answer PING (checked every second); their keys cannot be read or written', registers: [deps.registry] });
  unserved.set(shards.get().unservedSlots);
  let wasServed = shards.get().unservedSlots === 0;
  shards.on((h) => {
    unserved.set(h.unservedSlots);
    update();
    const served = h.unservedSlots === 0;
    if (served && !wasServed) deps.logger.info({ backend: 'redis', masters: h.masters }, 'every Redis Cluster slot served again');
    else if (!served) deps.logger.warn({ backend: 'redis', unservedSlots: h.unservedSlots, mastersDown: h.mastersDown, masters: h.masters }, 'Redis Cluster slots without a reachable master: their keys fail until a replica takes over');
    wasServed = served;
  });
}
