import { describe, expect, it } from 'vitest';
import { Histogram, Registry } from 'prom-client';
import { batchedHistogramChild } from './batched-histogram.ts';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

function pair() {
  const direct = new Registry();
  const batched = new Registry();
  const make = (registry: Registry) =>
    new Histogram({ name: 'x_seconds', help: 'h', labelNames: ['method'], buckets: BUCKETS, registers: [registry] });
  return { direct, batched, d: make(direct), b: make(batched) };
}

// values exactly representable in binary, so _sum is the same whatever the addition order
const VALUES = [0.0009765625, 0.001, 0.00390625, 0.0625, 0.25, 0.5, 1, 3, 5, 7.5, 12];

describe('batchedHistogramChild', () => {
  it('scrapes exactly like direct observes: buckets, +Inf, _sum, _count, label order', async () => {
    const { direct, batched, d, b } = pair();
    const children = { INVITE: batchedHistogramChild(b, { method: 'INVITE' }), BYE: batchedHistogramChild(b, { method: 'BYE' }) };
    // nothing observed yet: no series at all, like prom-client's labels() alone
    expect(await batched.metrics()).toBe(await direct.metrics());
    for (const [i, v] of VALUES.entries()) {
      const m = i % 3 === 0 ? 'BYE' : 'INVITE';
      d.labels(m).observe(v);
      children[m].observe(v);
    }
    expect(await batched.metrics()).toBe(await direct.metrics());
    // later observations add to what was already flushed
    for (const v of VALUES) {
      d.labels('INVITE').observe(v);
      children.INVITE.observe(v);
    }
    expect(await batched.metrics()).toBe(await direct.metrics());
    expect(await batched.metrics()).toBe(await direct.metrics()); // a scrape with nothing pending changes nothing
    expect(await batched.getMetricsAsJSON()).toEqual(await direct.getMetricsAsJSON());
  });

  it('recreates its series after a reset, like prom-client', async () => {
    const { direct, batched, d, b } = pair();
    const c = batchedHistogramChild(b, { method: 'INVITE' });
    c.observe(0.5);
    d.labels('INVITE').observe(0.5);
    await batched.metrics();
    direct.resetMetrics();
    batched.resetMetrics();
    c.observe(0.25);
    d.labels('INVITE').observe(0.25);
    expect(await batched.metrics()).toBe(await direct.metrics());
  });

  it('observes directly when the histogram already has a collect hook of its own', async () => {
    const registry = new Registry();
    const h = new Histogram({ name: 'y_seconds', help: 'h', labelNames: ['method'], buckets: BUCKETS, registers: [registry], collect() {} });
    batchedHistogramChild(h, { method: 'INVITE' }).observe(0.5);
    expect(await registry.metrics()).toContain('y_seconds_count{method="INVITE"} 1');
  });
});
