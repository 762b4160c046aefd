// Memory per call in flight (an INVITE relayed to a gateway that has not
// answered: one server and one client transaction, the relay), measured in
// process by test/harness/tx-memory.ts; docs/limits.md has the figures.
//
// `node --expose-gc --import tsx bench/tx-memory.ts [--calls N] [--batch N] [--ended [--topoh|--topos]] [--json] [--snapshot]`
// --ended: whole calls ended instead (INVITE to the BYE's 200), their four
// transactions lingering for retransmissions (measureEndedCallMemory);
// --topoh / --topos (with --ended): with topology hiding on, as bench/compare.ts
// runs it (topos with the in-memory dialog store);
// --batch: datagrams per receive buffer (1: node:dgram, the default; the
// batched UDP transport reads up to 64 into one buffer);
// --json prints the result as one JSON line (the test reads it);
// --snapshot also writes heap snapshots before and after and prints the
// growth by kind (objects by constructor, strings, arrays), largest first
// (KEEP_SNAPSHOT=1 keeps the files, for the Chrome DevTools memory tab).
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { measureEndedCallMemory, measureTxMemory } from '../test/harness/tx-memory.ts';

// ------------------------------------------------------------- heap snapshot

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** self size by "type:name" (objects by constructor, strings by kind) */
function sizesByKind(file: string): Map<string, { size: number; count: number }> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const f = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const stride = f.length;
  const iType = f.indexOf('type');
  const iName = f.indexOf('name');
  const iSize = f.indexOf('self_size');
  const out = new Map<string, { size: number; count: number }>();
  for (let i = 0; i < s.nodes.length; i += stride) {
    const type = types[s.nodes[i + iType]];
    let name = type === 'object' || type === 'closure' || type === 'native' ? s.strings[s.nodes[i + iName]] : '';
    if (type === 'hidden' || type === 'code' || type === 'array' || type === 'object shape') name = s.strings[s.nodes[i + iName]].slice(0, 40);
    const key = `${type}:${name}`;
    const e = out.get(key) ?? { size: 0, count: 0 };
    e.size += s.nodes[i + iSize];
    e.count++;
    out.set(key, e);
  }
  return out;
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--calls');
  const calls = i >= 0 ? Number(process.argv[i + 1]) : 20000;
  const bi = process.argv.indexOf('--batch');
  const batch = bi >= 0 ? Number(process.argv[bi + 1]) : 1;
  const withSnapshot = process.argv.includes('--snapshot');
  const files: Record<string, string> = {};
  const snap = withSnapshot ? (label: string) => { files[label] = writeHeapSnapshot(join(tmpdir(), `tx-memory-${process.pid}-${label}.heapsnapshot`)); } : undefined;
  const hiding = process.argv.includes('--topoh') ? 'topoh' : process.argv.includes('--topos') ? 'topos' : 'none';
  const r = process.argv.includes('--ended') ? await measureEndedCallMemory(calls, hiding, snap) : measureTxMemory(calls, batch, snap);
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(r));
    return;
  }
  const what = r.kind === 'ended' ? `${r.calls} ended calls lingering (${r.transactions} transactions${hiding === 'none' ? '' : `, ${hiding}`})` : `${r.calls} unanswered INVITEs in flight (${r.transactions} transactions, ${r.batch} datagrams per receive buffer)`;
  console.log(`${what}: ${Math.round(r.heapPerCall)} B JS heap + ${Math.round(r.externalPerCall)} B ArrayBuffers per call`);
  console.log(`per 1,000 calls: ${((r.heapPerCall * 1000) / 2 ** 20).toFixed(2)} MiB heap + ${((r.externalPerCall * 1000) / 2 ** 20).toFixed(2)} MiB ArrayBuffers`);
  if (!withSnapshot) return;
  const a = sizesByKind(files.before);
  const b = sizesByKind(files.after);
  const rows = [...b].map(([k, v]) => ({ k, size: v.size - (a.get(k)?.size ?? 0), count: v.count - (a.get(k)?.count ?? 0) }))
    .filter((x) => x.size > calls * 4)
    .sort((x, y) => y.size - x.size);
  console.log('growth per call by kind (B/call, objects/call):');
  for (const x of rows.slice(0, 40)) console.log(`  ${(x.size / calls).toFixed(0).padStart(6)}  ${(x.count / calls).toFixed(2).padStart(6)}  ${x.k}`);
  if (process.env.KEEP_SNAPSHOT === undefined) for (const f of Object.values(files)) rmSync(f);
  else console.log(files);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
