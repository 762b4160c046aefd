import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOCS_FILE, renderConfigDocs, undocumented } from './gen-docs.ts';
import { defineSection, envOptions, nodeSections, t } from './index.ts';

describe('docs/config.md', () => {
  it('every option of the node sections has doc text', () => {
    expect(undocumented(nodeSections)).toEqual([]);
  });

  it('the check catches an option without doc text', () => {
    const sec = defineSection('x', { a: t.int({ doc: ' ', default: 1 }), b: t.list(t.string({ doc: '' }), { doc: 'list', default: [] }) }, { doc: 'x' });
    expect(undocumented([sec])).toEqual(['x.a', 'x.b[]']);
  });

  it('is up to date with the schema (run: npx tsx libs/config/gen-docs.ts)', () => {
    expect(readFileSync(DOCS_FILE, 'utf8')).toBe(renderConfigDocs(nodeSections));
  });

  it('lists every environment variable', () => {
    const text = renderConfigDocs(nodeSections);
    for (const name of envOptions(nodeSections).keys()) expect(text).toContain(`\`${name}\``);
  });
});
