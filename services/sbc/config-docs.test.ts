import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { envOptions, undocumented } from '#libs/config';
import { sbcSections } from './config.ts';
import { SBC_FEATURES } from './features.ts';
import { CONFIG_DOCS_FILE, configDocs } from './gen-config-docs.ts';

describe('docs/config.md', () => {
  it('is up to date with the schema of every section, core and features (run: npm run docs:config)', () => {
    expect(readFileSync(CONFIG_DOCS_FILE, 'utf8')).toBe(configDocs());
  });

  it('covers every feature section and every option has doc text', () => {
    const text = configDocs();
    for (const f of SBC_FEATURES) for (const s of f.sections ?? []) expect(text).toContain(`## \`${s.name}\``);
    expect(undocumented(sbcSections)).toEqual([]);
    for (const name of envOptions(sbcSections).keys()) expect(text).toContain(`\`${name}\``);
  });
});
