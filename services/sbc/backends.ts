// sbc_backend_up{backend} and the log lines operators see when Redis or NATS
// go away and come back.
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { Bus } from '#libs/bus';
import type { SharedState } from '#libs/state';

export function watchBackends(deps: { state: SharedState; bus: Bus; registry: Registry; logger: Logger; failMode: unknown }): void {
  const { state, bus, logger } = deps;
  const up = new Gauge({ name: 'sbc_backend_up', help: '1 when the backend answers (redis: shared state; nats: cluster news)', labelNames: ['backend'], registers: [deps.registry] });
  up.set({ backend: 'redis' }, state.backend === 'redis' ? (state.status().up ? 1 : 0) : 1);
  up.set({ backend: 'nats' }, bus.isUp() ? 1 : 0);
  state.onStatus((s) => {
    up.set({ backend: 'redis' }, s.up ? 1 : 0);
    if (s.up) logger.info({ backend: 'redis' }, 'state backend up');
    else logger.warn({ backend: 'redis', err: s.error, failMode: deps.failMode }, 'state backend down: features follow state.fail_mode');
  });
  bus.onStatus((s) => {
    const isUp = s.type === 'connected' || s.type === 'reconnected';
    up.set({ backend: 'nats' }, isUp ? 1 : 0);
    if (s.type === 'disconnected') logger.warn({ backend: 'nats' }, 'bus down: nodes converge from Redis by periodic resync');
    else if (s.type === 'reconnected') logger.info({ backend: 'nats' }, 'bus up again');
  });
}
