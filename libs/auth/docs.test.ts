// docs/auth.md lists every option of the auth and auth_block sections.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { authBlockSection, authSection } from './config.ts';
import { AUTH_REJECTIONS } from './rejections.ts';

const doc = readFileSync(new URL('../../docs/auth.md', import.meta.url), 'utf8');

describe('docs/auth.md', () => {
  it.each([...Object.keys(authSection.fields), ...Object.keys(authBlockSection.fields)])('documents %s', (key) => {
    expect(doc).toContain(`| \`${key}\` |`);
  });
  it.each(Object.values(AUTH_REJECTIONS).map((r) => r.code))('documents rejection %s', (code) => {
    expect(doc).toContain(`\`${code}\``);
  });
});
