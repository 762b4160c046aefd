import pino from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '#libs/config';
import { createSecfilter, secfilterSection } from '#libs/secfilter';
import { YEALINK_INVITE } from '../sip/fixtures/ua.ts';
import { parseMessage } from '#libs/sip';
function cfg(text: string) { const res = loadConfig({ sections: [secfilterSection], env: {}, text }); if (!res.ok) throw 1; return res.config.secfilter; }
const N = 1_000_000;
function time(label: string, fn: () => void) {
  for (let i = 0; i < 50000; i++) fn();
  let best = Infinity;
  for (let r = 0; r < 5; r++) { const t0 = performance.now(); for (let i = 0; i < N; i++) fn(); best = Math.min(best, performance.now() - t0); }
  console.log(label.padEnd(34), ((best / N) * 1000).toFixed(3), 'µs');
}
const lg = pino({ level: 'silent' });
const m = (parseMessage(YEALINK_INVITE) as any).msg; m.from(); m.to(); m.contacts(); m.requestUri();
const dflt = createSecfilter({ config: cfg(''), registry: new Registry(), logger: lg });
const lists = createSecfilter({ config: cfg('secfilter:\n  ip:\n    blacklist: ["198.51.100.0/24", "203.0.113.0/24", "10.0.0.0/8"]\n  user:\n    blacklist: [sipvicious]\n  domain:\n    blacklist: [evil.example]\n  dst:\n    blacklist: ["0900"]\n'), registry: new Registry(), logger: lg });
time('evaluate, defaults (parsed msg)', () => dflt.filter.evaluate(m, '192.0.2.101', false));
time('evaluate, all lists + sqli', () => lists.filter.evaluate(m, '192.0.2.101', false));
