// `npm start [-- --config FILE] [--set key=value]`: loads and validates the
// config (YAML + SBC_* variables), starts one node, stops it on SIGTERM/SIGINT.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { loadConfig, formatConfigErrors } from '#libs/config';
import { sbcSections } from './config.ts';
import { startNode } from './node.ts';

/** deploy/sbc.yaml of the repository, found from services/sbc/ (tsx) or dist/ (the bundle) */
function sampleConfig(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    const f = join(dir, 'deploy/sbc.yaml');
    if (existsSync(f)) return f;
  }
  return 'deploy/sbc.yaml';
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const explicit = argv.includes('--config') || argv.includes('-c') || process.env.SBC_CONFIG !== undefined;
  const res = loadConfig({ sections: sbcSections, env: process.env, argv, ...(explicit ? {} : { file: sampleConfig() }) });
  if (!res.ok) {
    process.stderr.write(`${formatConfigErrors(res.errors)}\n`);
    process.exit(2);
  }
  const node = await startNode({ config: res.config, configFile: res.file, origin: res.origin });
  let signals = 0;
  const stop = (sig: string) => {
    signals++;
    if (signals > 1) process.exit(1);
    node.logger.info({ signal: sig }, 'shutting down: draining transactions');
    node.stop(res.config.node.drain_timeout).then(() => process.exit(0), (err: unknown) => { node.logger.error({ err }, 'shutdown failed'); process.exit(1); });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`sbc: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
