// Writes docs/config.md from the schema of every config section the node
// reads: the core ones and each feature's (SBC_FEATURES).
//   npm run docs:config            writes docs/config.md
//   npm run docs:config -- --check exits 1 when it is stale (config-docs.test.ts checks it too)
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderConfigDocs } from '#libs/config';
import { sbcSections } from './config.ts';

export const CONFIG_DOCS_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs/config.md');

export function configDocs(): string {
  return renderConfigDocs(sbcSections);
}

function main(argv: readonly string[]): number {
  const text = configDocs();
  if (argv.includes('--check')) {
    let current = '';
    try { current = readFileSync(CONFIG_DOCS_FILE, 'utf8'); } catch { /* missing counts as stale */ }
    if (current === text) return 0;
    console.error(`${CONFIG_DOCS_FILE} is stale: run npm run docs:config`);
    return 1;
  }
  writeFileSync(CONFIG_DOCS_FILE, text);
  console.log(`wrote ${CONFIG_DOCS_FILE}`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
