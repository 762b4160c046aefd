// npx tsx bench/idle-transient.ts [--mode memory-topoh] [--idle 0,30,100] [--calls 3000] [--rate 200] [--flags --no-opt,...]
// What an idle spell costs the calls after it: one warmed-up node, then for
// each idle time given, that many seconds without traffic followed by a step
// of calls, with the node's CPU read every second of the step. Prints CPU
// per call of the step and of its first and last fifth: a node that pays for
// its idle spell pays at the start of the step (bench/compare.ts's steps one
// after the other put a longer idle spell before every node step the more
// modes a run has).
import { buildNode } from '../scripts/build.mjs';
import { benchNodeConfig, type BenchHiding } from './node-config.ts';
import { groupMinorFaults, runUac, startSbcNode, startUas } from '../test/sipp/index.ts';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const mode = args.get('mode') ?? 'memory-topoh';
const idles = (args.get('idle') ?? '0,30,100,0').split(',').map(Number);
const calls = Number(args.get('calls') ?? 3000);
const rate = Number(args.get('rate') ?? 200);
const flags = (args.get('flags') ?? '').split(',').filter(Boolean);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  await buildNode();
  const hiding = mode.split('-')[1];
  const gws = [await startUas({ scenario: 'uas', lifetimeMs: 3_600_000 }), await startUas({ scenario: 'uas', lifetimeMs: 3_600_000 })];
  const node = await startSbcNode({
    gateways: gws,
    nodeFlags: flags,
    lifetimeMs: 3_600_000,
    config: benchNodeConfig({ hiding: hiding as BenchHiding }),
  });
  const uac = (n: number) => runUac({ target: `${node.host}:${node.port}`, calls: n, rate, localHost: '127.0.0.2', timeoutMs: (n / rate) * 2000 + 10_000, traceMessages: false });
  try {
    for (let i = 0; i < 2; i++) await uac(2000);
    console.log(`${mode}${flags.length ? ' ' + flags.join(' ') : ''}: ${calls} calls at ${rate} cps after each idle spell; CPU µs per call`);
    for (const idle of idles) {
      await sleep(idle * 1000);
      const faults0 = groupMinorFaults(node.pgid);
      const samples: number[] = [node.cpuMs()];
      const timer = setInterval(() => samples.push(node.cpuMs()), 1000);
      const r = await uac(calls);
      clearInterval(timer);
      samples.push(node.cpuMs());
      const perSecond = samples.slice(1).map((v, i) => v - samples[i]);
      const fifth = Math.max(1, Math.floor(perSecond.length / 5));
      const perCall = (ms: number, seconds: number) => ((ms * 1000) / (rate * seconds)).toFixed(0);
      const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
      console.log(`  idle ${String(idle).padStart(4)} s: ${(((samples.at(-1)! - samples[0]) * 1000) / calls).toFixed(0)} per call (${r.successful}/${calls} ok), ${((groupMinorFaults(node.pgid) - faults0) / calls).toFixed(1)} page faults per call; first ${fifth} s ${perCall(sum(perSecond.slice(0, fifth)), fifth)}, last ${fifth} s ${perCall(sum(perSecond.slice(-fifth - 1, -1)), fifth)}; per second: ${perSecond.map((v) => perCall(v, 1)).join(' ')}`);
    }
  } finally {
    await node.stop();
    await Promise.all(gws.map((g) => g.stop()));
  }
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
