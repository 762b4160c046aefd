// `npm start [-- --config FILE] [--set key=value]`: loads and validates the
// config (YAML + SBC_* variables), starts one node, stops it on SIGTERM/SIGINT.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { loadConfig, formatConfigErrors } from '#libs/config';
import { startNode } from './node.ts';

const SAMPLE_CONFIG = join(dirname(fileURLToPath(import.meta.url)), '../../deploy/sbc.yaml');

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const explicit = argv.includes('--config') || argv.includes('-c') || process.env.SBC_CONFIG !== undefined;
  const res = loadConfig({ env: process.env, argv, ...(explicit ? {} : { file: SAMPLE_CONFIG }) });
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
    node.stop().then(() => process.exit(0), (err: unknown) => { node.logger.error({ err }, 'shutdown failed'); process.exit(1); });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`sbc: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
