// docs/registrar.md lists every option of the registrar section and every rejection.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registrarSection } from './config.ts';
import { REGISTRAR_REJECTIONS } from './rejections.ts';

const doc = readFileSync(new URL('../../docs/registrar.md', import.meta.url), 'utf8');

describe('docs/registrar.md', () => {
  it.each(Object.keys(registrarSection.fields))('documents %s', (key) => {
    expect(doc).toContain(`| \`${key}\` |`);
  });
  it.each(Object.values(REGISTRAR_REJECTIONS).map((r) => r.code))('documents rejection %s', (code) => {
    expect(doc).toContain(`\`${code}\``);
  });
});
