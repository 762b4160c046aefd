// Unit tests of the pure parts of the kit: sipp trace parsers, percentiles,
// dispatcher list text and the Kamailio cfg template.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../../bench/kamailio/kamailio.ts';
import { dispatcherList, parseDuration, parseRttCsv, parseShortMessages, parseStatsCsv, sendRate, summarize } from './index.ts';

const header = 'StartTime;CurrentTime;ElapsedTime(C);CallRate(C);IncomingCall(C);OutgoingCall(C);TotalCallCreated;CurrentCall;SuccessfulCall(C);FailedCall(C);FailedMaxUDPRetrans(C);FailedUnexpectedMessage(C);Retransmissions(C);OutOfCallMsgs(C);DeadCallMsgs(C);';

describe('parseStatsCsv', () => {
  it('reads the cumulative counters of the last row', () => {
    const text = [
      header,
      '2026-11-23\t19:35:02.7;x;00:00:01:000000;19.5;0;5;5;2;3;0;0;0;0;0;0;',
      '2026-11-23\t19:35:03.2;x;00:00:02:500000;19.49;0;10;10;0;8;2;1;1;4;1;0;',
      '',
    ].join('\n');
    const c = parseStatsCsv(text);
    expect(c).toMatchObject({ created: 10, outgoing: 10, successful: 8, failed: 2, current: 0, retransmissions: 4, outOfCallMessages: 1, callRate: 19.49, elapsedMs: 2500 });
    expect(c?.failedBy).toEqual({ MaxUDPRetrans: 1, UnexpectedMessage: 1 });
  });

  it('returns undefined for a file with no data row', () => {
    expect(parseStatsCsv(header + '\n')).toBeUndefined();
    expect(parseStatsCsv('')).toBeUndefined();
  });
});

describe('sipp durations and response times', () => {
  it('parses both duration forms', () => {
    expect(parseDuration('00:01:02')).toBe(62_000);
    expect(parseDuration('00:00:00:004000')).toBe(4);
    expect(parseDuration('garbage')).toBe(0);
  });

  it('keeps one rtd counter from the rtt csv', () => {
    const text = 'Date_ms;response_time_ms;rtd_no\n56.001;4;1\n60.0;9;2\n108.001;0;1\n';
    expect(parseRttCsv(text)).toEqual([4, 0]);
    expect(parseRttCsv(text, 2)).toEqual([9]);
  });

  it('measures INVITE -> 200 from the short message log, first send to first 200', () => {
    const row = (epoch: string, dir: string, cid: string, cseq: string, first: string) => `2026-11-23\t19:39:52\t${epoch}\t${dir}\t${cid}\t${cseq}\t${first}`;
    const text = [
      row('1795462792.796607', 'S', '1-x', 'CSeq:1 INVITE', 'INVITE sip:s@h SIP/2.0'),
      row('1795462792.796743', 'R', '1-x', 'CSeq:1 INVITE', 'SIP/2.0 100 Trying'),
      row('1795462792.797000', 'S', '1-x', 'CSeq:1 INVITE', 'INVITE sip:s@h SIP/2.0'), // retransmission
      row('1795462792.799107', 'R', '1-x', 'CSeq:1 INVITE', 'SIP/2.0 200 OK'),
      row('1795462792.799500', 'R', '1-x', 'CSeq:1 INVITE', 'SIP/2.0 200 OK'), // 200 retransmission
      row('1795462792.805088', 'R', '1-x', 'CSeq:2 BYE', 'SIP/2.0 200 OK'),
      row('1795462792.900000', 'S', '2-x', 'CSeq:1 INVITE', 'INVITE sip:s@h SIP/2.0'),
      row('1795462792.910000', 'R', '2-x', 'CSeq:1 INVITE', 'SIP/2.0 503 Service Unavailable'),
    ].join('\n');
    const trace = parseShortMessages(text);
    expect(trace.setupMs).toHaveLength(1);
    expect(trace.setupMs[0]).toBeCloseTo(2.5, 2);
    expect(trace.inviteSentAt).toHaveLength(2); // the retransmission is not a new call
  });

  it('computes the INVITE send rate from first to last new INVITE', () => {
    expect(sendRate([1000, 1010, 1020, 1030, 1040])).toBeCloseTo(100, 6);
    expect(sendRate([1000])).toBeUndefined();
    expect(sendRate([])).toBeUndefined();
  });

  it('summarizes with nearest-rank percentiles', () => {
    const s = summarize(Array.from({ length: 100 }, (_, i) => 100 - i));
    expect(s).toMatchObject({ count: 100, p50: 50, p90: 90, p99: 99, max: 100, mean: 50.5 });
    expect(summarize([])).toBeUndefined();
    expect(summarize([7])).toMatchObject({ p50: 7, p99: 7 });
  });
});

describe('dispatcherList', () => {
  it('writes one destination per gateway in set 1, TCP ones with transport=tcp', () => {
    const text = dispatcherList([{ host: '127.0.0.1', port: 5071 }, { host: '127.0.0.1', port: 5072, transport: 'tcp' }, { host: '::1', port: 5073 }]);
    const lines = text.trim().split('\n').filter((l) => !l.startsWith('#'));
    expect(lines).toEqual(['1 sip:127.0.0.1:5071 0 0', '1 sip:127.0.0.1:5072;transport=tcp 0 0', '1 sip:[::1]:5073 0 0']);
  });
});

describe('kamailio.cfg template', () => {
  const template = readFileSync(new URL('../../bench/kamailio/kamailio.cfg', import.meta.url), 'utf8');
  const values = { LOG_LEVEL: 0, HOST: '127.0.0.1', PORT: 5060, MODULES_DIR: '/m/', DISPATCHER_LIST: '/d.list', FR_TIMER_MS: 2000, FR_INV_TIMER_MS: 10000 };

  it('fills every placeholder', () => {
    const cfg = renderTemplate(template, values);
    expect(cfg).not.toMatch(/\{\{\w+\}\}/);
    expect(cfg).toContain('listen=udp:127.0.0.1:5060');
    expect(cfg).toContain('modparam("dispatcher", "list_file", "/d.list")');
    expect(cfg).toContain('ds_select_dst("1", "4")');
  });

  it('refuses a template value that is missing', () => {
    const { PORT: _omit, ...partial } = values;
    expect(() => renderTemplate(template, partial)).toThrow(/\{\{PORT\}\} has no value/);
  });
});
