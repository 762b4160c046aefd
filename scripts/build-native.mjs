// postinstall: builds the batched UDP addon (libs/transport/native) with the
// node-gyp that comes with npm, against the headers of the running Node
// (offline: nothing is downloaded when they are installed next to it).
// Never fails the install: without Linux, a compiler or the headers it prints
// one line and the transport uses node:dgram (see docs/transport.md).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, 'libs/transport/native');
const say = (why) => console.log(`sbc: batched UDP addon not built (${why}); the transport uses node:dgram`);

function nodeGyp() {
  // npm sets npm_config_node_gyp for lifecycle scripts; else the copy bundled with npm next to node
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath && join(dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'),
    join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  return candidates.find((p) => p && existsSync(p));
}

function main() {
  if (process.env.SBC_SKIP_NATIVE === '1') return say('SBC_SKIP_NATIVE=1');
  if (process.platform !== 'linux') return say(`${process.platform} is not Linux`);
  if (!existsSync(join(dir, 'binding.gyp'))) return say('libs/transport/native is not there yet');
  const gyp = nodeGyp();
  if (gyp === undefined) return say('node-gyp not found next to npm');
  const args = [gyp, 'rebuild', '--directory', dir];
  // the headers installed with this Node (e.g. /usr/include/node): no download
  const env = { ...process.env };
  const prefix = dirname(dirname(process.execPath));
  if (existsSync(join(prefix, 'include/node/node_api.h'))) {
    args.push(`--nodedir=${prefix}`);
    delete env.npm_config_nodedir; // an inherited (even empty) npm setting would win and make node-gyp download headers
  }
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 300_000, env });
  if (r.status !== 0) {
    // node-gyp's own summary: "gyp ERR! stack Error: not found: make", "...Could not find any Python"...
    const lines = `${r.stderr ?? ''}\n${r.stdout ?? ''}`.split('\n').filter((l) => /^gyp ERR! (stack Error|find Python)|error:/.test(l));
    return say(`node-gyp failed: ${lines[0]?.replace(/^gyp ERR! (stack )?/, '').trim() ?? r.error?.message ?? `exit ${r.status}`}`);
  }
  console.log('sbc: batched UDP addon built (libs/transport/native/build/Release/sbc_udp.node)');
}

main();
