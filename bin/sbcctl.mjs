#!/usr/bin/env node
// sbcctl, the package's bin: runs the bundle scripts/build.mjs makes
// (dist/sbcctl.mjs; `npm run build`, done by the container image build).
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/sbcctl.mjs', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write('sbcctl: dist/sbcctl.mjs is missing: run `npm run build` first\n');
  process.exit(2);
}
await import(bundle.href);
