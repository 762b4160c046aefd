// Test helpers for libs/pike (not part of the public surface).
import { isIP } from 'node:net';
import pino from 'pino';
import { Registry, type Counter, type Gauge } from 'prom-client';
import type { RequestContext } from '#libs/proxy';
import type { PikeConfig } from './config.ts';

export const quietLogger = () => pino({ level: 'silent' });

/** pike config with the section's defaults, enabled, and overrides. */
export function pikeConfig(over: Partial<PikeConfig> = {}): PikeConfig {
  return {
    enabled: true,
    sampling_time_unit: 2000,
    reqs_density_per_unit: 30,
    remove_latency: 120_000,
    action: 'drop',
    trusted: [],
    flush_interval: 100,
    ...over,
  };
}

/** The two fields the pike step reads (plus what the responder path logs). */
export function fakeRequest(address: string, method = 'INVITE'): RequestContext {
  return {
    source: { proto: 'udp', address, port: 5060, family: isIP(address) === 6 ? 'IPv6' : 'IPv4' },
    msg: { method, callId: () => `call-${method}` },
  } as unknown as RequestContext;
}

export async function metric(registry: Registry, name: string): Promise<number> {
  const m = registry.getSingleMetric(name) as Counter | Gauge | undefined;
  if (!m) throw new Error(`metric ${name} not registered`);
  const { values } = await m.get();
  return values[0]?.value ?? 0;
}

export { Registry };
