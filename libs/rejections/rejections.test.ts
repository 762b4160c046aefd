import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import {
  createRejectionCatalog,
  defineRejection,
  defineRejections,
  LogLimiter,
  RejectionRecorder,
  SANITY_REJECTIONS,
} from './index.ts';

function captureLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

async function counterValue(registry: Registry, label: string): Promise<number> {
  const m = await registry.getSingleMetric('sbc_sip_rejected_total')!.get();
  return m.values.find((v) => v.labels.reason === label)?.value ?? 0;
}

describe('defineRejection', () => {
  it('freezes a valid definition and defaults the level to info', () => {
    const r = defineRejection({ code: 'pike.blocked', status: 'drop', label: 'pike_blocked', log: 'flood', doc: 'Source over the pike rate.' });
    expect(Object.isFrozen(r)).toBe(true);
    expect(r.level).toBe('info');
  });

  it.each([
    ['bad code', { code: 'Pike', status: 'drop', label: 'x', log: 'l', doc: 'd' }, /code "Pike"/],
    ['empty doc', { code: 'a.b', status: 'drop', label: 'x', log: 'l', doc: ' ' }, /doc text is empty/],
    ['2xx status', { code: 'a.b', status: 200, reason: 'OK', label: 'x', log: 'l', doc: 'd' }, /status 200/],
    ['CRLF in reason', { code: 'a.b', status: 403, reason: 'No\r\nX: y', label: 'x', log: 'l', doc: 'd' }, /reason phrase/],
    ['bad label', { code: 'a.b', status: 'drop', label: 'Has Space', log: 'l', doc: 'd' }, /label/],
  ] as const)('refuses %s', (_name, input, re) => {
    expect(() => defineRejection(input as Parameters<typeof defineRejection>[0])).toThrow(re);
  });
});

describe('catalog', () => {
  it('refuses a code defined twice by two features', () => {
    const a = defineRejections({ x: { code: 'feat.same', status: 'drop', label: 'a', log: 'l', doc: 'd' } });
    const b = defineRejections({ y: { code: 'feat.same', status: 403, reason: 'Forbidden', label: 'b', log: 'l', doc: 'd' } });
    expect(() => createRejectionCatalog(a, b)).toThrow(/feat\.same.*defined twice/);
  });

  it('has doc text, a log message and a label for every core code', () => {
    const catalog = createRejectionCatalog(SANITY_REJECTIONS);
    expect(catalog.all().length).toBeGreaterThan(20);
    for (const r of catalog.all()) {
      expect(r.doc.length, r.code).toBeGreaterThan(20);
      expect(r.log.length, r.code).toBeGreaterThan(5);
      expect(r.label, r.code).toMatch(/^[a-z][a-z0-9_]*$/);
      if (r.status !== 'drop') expect(r.reason, r.code).not.toBe('');
    }
  });

  it('documents every core code in docs/transport.md', () => {
    const docs = readFileSync(new URL('../../docs/transport.md', import.meta.url), 'utf8');
    const missing = createRejectionCatalog(SANITY_REJECTIONS)
      .all()
      .filter((r) => !docs.includes('`' + r.code + '`'))
      .map((r) => r.code);
    expect(missing).toEqual([]);
  });
});

describe('LogLimiter', () => {
  it('allows a burst, suppresses, then reports the suppressed count once tokens return', () => {
    let t = 0;
    const lim = new LogLimiter({ perSecond: 2, burst: 2 }, () => t);
    expect(lim.take('k')).toBe(0);
    expect(lim.take('k')).toBe(0);
    expect(lim.take('k')).toBe(-1);
    expect(lim.take('k')).toBe(-1);
    expect(lim.take('other')).toBe(0); // keys are independent
    t += 500; // one token back at 2/s
    expect(lim.take('k')).toBe(2);
    expect(lim.take('k')).toBe(-1);
  });

  it('writes every line with perSecond 0 (log.rejects.per_second: 0 = no limit), and refuses a negative rate', () => {
    const lim = new LogLimiter({ perSecond: 0, burst: 1 }, () => 0);
    for (let i = 0; i < 1000; i++) expect(lim.take('k')).toBe(0);
    expect(() => new LogLimiter({ perSecond: -1, burst: 1 })).toThrow(/perSecond/);
  });
});

describe('RejectionRecorder', () => {
  it('counts every occurrence but logs at most the rate, then reports what it suppressed', async () => {
    let t = 1_000;
    const registry = new Registry();
    const { logger, lines } = captureLogger();
    const rec = new RejectionRecorder({
      catalog: createRejectionCatalog(SANITY_REJECTIONS),
      registry,
      logger,
      logRate: { perSecond: 1, burst: 3 },
      now: () => t,
    });
    for (let i = 0; i < 100; i++) rec.recordRejection('sanity.bad_cseq', { address: '127.0.0.1', port: 5060, proto: 'udp', detail: 'x' });
    expect(await counterValue(registry, 'bad_cseq')).toBe(100);
    expect(lines.length).toBe(3);
    expect(lines[0]).toMatchObject({ rejection: 'sanity.bad_cseq', status: 400, src: '127.0.0.1', srcPort: 5060, msg: 'request with invalid CSeq refused' });
    expect(lines[0].suppressed).toBeUndefined();
    t += 1_000;
    rec.recordRejection(SANITY_REJECTIONS.badCseq);
    expect(lines.length).toBe(4);
    expect(lines[3].suppressed).toBe(97);
  });

  it('pre-creates a zero series for every label and shares the counter between recorders', async () => {
    const registry = new Registry();
    const catalog = createRejectionCatalog(SANITY_REJECTIONS);
    const a = new RejectionRecorder({ catalog, registry, logger: captureLogger().logger });
    const b = new RejectionRecorder({ catalog, registry, logger: captureLogger().logger });
    expect(await counterValue(registry, 'too_many_hops')).toBe(0);
    a.recordRejection('sanity.too_many_hops');
    b.recordRejection('sanity.too_many_hops');
    expect(await counterValue(registry, 'too_many_hops')).toBe(2);
  });

  it('throws on an unknown code, naming the fix', () => {
    const rec = new RejectionRecorder({ catalog: createRejectionCatalog(SANITY_REJECTIONS), registry: new Registry(), logger: captureLogger().logger });
    expect(() => rec.recordRejection('sanity.nope')).toThrow(/createRejectionCatalog/);
  });
});
