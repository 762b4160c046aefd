import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { envVarName, loadConfig } from '#libs/config';
import { adminSection } from './config.ts';

describe('admin config section', () => {
  it('every option is documented in docs/admin.md with its variable', () => {
    const doc = readFileSync(new URL('../../docs/admin.md', import.meta.url), 'utf8');
    for (const key of Object.keys(adminSection.fields)) {
      expect(doc).toContain(`\`admin.${key}\``);
      expect(doc).toContain(`\`${envVarName(['admin', key])}\``);
    }
  });

  it('is closed by default and refuses create_tokens_file without a file', () => {
    const ok = loadConfig({ sections: [adminSection], env: {}, text: '{}' });
    expect(ok.ok && ok.config.admin.tokens_file).toBe(undefined);
    const bad = loadConfig({ sections: [adminSection], env: {}, text: 'admin: { create_tokens_file: true }', file: 'x.yaml' });
    expect(bad.ok).toBe(false);
  });
});
