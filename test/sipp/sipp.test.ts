// Proves the sipp kit against the reference proxy, Kamailio 5.6 (bench/kamailio):
// calls through the route set, round robin, 503 and timeout failover, CANCEL,
// OPTIONS, TCP, and that the driver reports failures and timeouts.
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startKamailio, type KamailioHandle, type KamailioOptions } from '../../bench/kamailio/kamailio.ts';
import { runUac, startSilentGateway, startUas, type SilentGateway, type UasHandle, type UasOptions } from './index.ts';

const running: Array<{ stop(): Promise<unknown> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((h) => h.stop()));
});

async function uas(opts: UasOptions): Promise<UasHandle> {
  const h = await startUas(opts);
  running.push(h);
  return h;
}

async function silent(): Promise<SilentGateway> {
  const h = await startSilentGateway();
  running.push(h);
  return h;
}

async function kamailio(opts: KamailioOptions): Promise<KamailioHandle> {
  const h = await startKamailio(opts);
  running.push(h);
  return h;
}

const target = (k: KamailioHandle) => `${k.host}:${k.port}`;

describe('sipp kit through Kamailio 5.6', () => {
  it('completes 50 calls at 20 cps, round robin 25/25 over two gateways', async () => {
    const a = await uas({ scenario: 'uas' });
    const b = await uas({ scenario: 'uas' });
    const k = await kamailio({ gateways: [a, b] });

    const r = await runUac({ target: target(k), calls: 50, rate: 20, timeoutMs: 20_000 });

    expect(r.attempted).toBe(50);
    expect(r.successful).toBe(50);
    expect(r.failed).toBe(0);
    expect(r.exitCode).toBe(0);
    expect(r.timedOut).toBe(false);
    expect(r.setup?.count).toBe(50);
    expect(r.rtt?.count).toBe(50);
    const [ca, cb] = await Promise.all([a.stop(), b.stop()]);
    expect([ca.incoming, cb.incoming]).toEqual([25, 25]);
    // the gateways saw the whole dialog: ACK and BYE came back through the route set
    expect([ca.successful, cb.successful]).toEqual([25, 25]);
  });

  it('fails over from a 503 gateway to the next one (failure_route ds_next_dst)', async () => {
    const bad = await uas({ scenario: 'uas_503' });
    const good = await uas({ scenario: 'uas' });
    const k = await kamailio({ gateways: [bad, good] });

    const r = await runUac({ target: target(k), calls: 10, rate: 20, timeoutMs: 20_000 });

    expect(r.successful).toBe(10);
    expect(r.failed).toBe(0);
    const [cBad, cGood] = await Promise.all([bad.stop(), good.stop()]);
    expect(cBad.incoming).toBe(5); // round robin picked it first for half the calls
    expect(cGood.successful).toBe(10);
  });

  it('fails over from a silent gateway after the transaction timeout', async () => {
    const mute = await silent();
    const good = await uas({ scenario: 'uas' });
    const k = await kamailio({ gateways: [mute, good], frTimerMs: 500 });

    const r = await runUac({ target: target(k), calls: 4, rate: 10, timeoutMs: 20_000 });

    expect(r.successful).toBe(4);
    expect(mute.received()).toBeGreaterThanOrEqual(2);
    expect((await good.stop()).successful).toBe(4);
  });

  it('CANCEL after 180 gives 200 for the CANCEL and 487 for the INVITE', async () => {
    const a = await uas({ scenario: 'uas_ring' });
    const b = await uas({ scenario: 'uas_ring' });
    const k = await kamailio({ gateways: [a, b] });

    const r = await runUac({ scenario: 'uac_cancel', target: target(k), calls: 6, rate: 10, timeoutMs: 20_000 });

    // uac_cancel.xml only completes on 180 -> CANCEL -> 200 -> 487 -> ACK
    expect(r.successful).toBe(6);
    expect(r.failed).toBe(0);
    const [ca, cb] = await Promise.all([a.stop(), b.stop()]);
    // each gateway got its CANCELs and the ACK for its 487
    expect(ca.successful + cb.successful).toBe(6);
  });

  it('OPTIONS to the proxy itself is answered 200', async () => {
    const a = await uas({ scenario: 'uas' });
    const k = await kamailio({ gateways: [a] });

    const r = await runUac({ scenario: 'options', target: target(k), calls: 1, rate: 1, timeoutMs: 10_000 });

    expect(r.successful).toBe(1);
    expect((await a.stop()).incoming).toBe(0);
  });

  it('runs the same scenarios over TCP', async () => {
    const a = await uas({ scenario: 'uas', transport: 'tcp' });
    const b = await uas({ scenario: 'uas', transport: 'tcp' });
    const k = await kamailio({ gateways: [a, b] });

    const r = await runUac({ target: target(k), transport: 'tcp', calls: 10, rate: 20, timeoutMs: 20_000 });

    expect(r.successful).toBe(10);
    expect(r.failed).toBe(0);
    const [ca, cb] = await Promise.all([a.stop(), b.stop()]);
    expect([ca.successful, cb.successful]).toEqual([5, 5]);
  });
});

describe('sipp driver reports what went wrong', () => {
  it('counts failed calls when the far end rejects them', async () => {
    const bad = await uas({ scenario: 'uas_503' });

    const r = await runUac({ target: `${bad.host}:${bad.port}`, calls: 3, rate: 10, timeoutMs: 10_000 });

    expect(r.attempted).toBe(3);
    expect(r.successful).toBe(0);
    expect(r.failed).toBe(3);
    expect(r.exitCode).toBe(1);
    expect(r.failedBy.UnexpectedMessage).toBe(3);
    expect(r.artifactsDir).toBeDefined(); // trace files kept for a failed run
    rmSync(r.artifactsDir ?? '', { recursive: true, force: true });
  });

  it('fails with sipp\'s own words when it cannot bind its port', async () => {
    const taken = await silent(); // holds a UDP port

    await expect(runUac({ target: '127.0.0.1:9', localPort: taken.port, calls: 1, timeoutMs: 5000 })).rejects.toThrow(/Address already in use/);
  });

  it('ends a run at its hard timeout', async () => {
    const mute = await silent();

    const r = await runUac({ target: `${mute.host}:${mute.port}`, calls: 2, rate: 10, timeoutMs: 2000 });

    expect(r.timedOut).toBe(true);
    expect(r.successful).toBe(0);
    expect(mute.received()).toBeGreaterThanOrEqual(2);
    rmSync(r.artifactsDir ?? '', { recursive: true, force: true });
  });
});
