import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig, nodeSections } from '#libs/config';
import { renderConfigDocs } from '#libs/config';
import { accSection, cdrWriterSection } from './config.ts';

const DOC = readFileSync(new URL('../../docs/accounting.md', import.meta.url), 'utf8');

describe('accounting config', () => {
  it('docs/accounting.md carries the generated tables of both sections (regenerate them from renderConfigDocs)', () => {
    const generated = renderConfigDocs([accSection, cdrWriterSection]);
    for (const line of generated.split('\n').filter((l) => l.startsWith('| `'))) expect(DOC).toContain(line);
  });

  it('defaults: off, sink chosen by the state backend', () => {
    const res = loadConfig({ sections: [...nodeSections, accSection], env: {} });
    expect(res.ok && res.config.acc).toMatchObject({ enabled: false, sink: 'auto', queue: 'acc', flush_interval: 200, max_batch: 500 });
  });

  it('a bad value is named with its key and file line', () => {
    const res = loadConfig({ sections: [...nodeSections, accSection], env: {}, file: 'x.yaml', text: 'acc:\n  enabled: true\n  queue: "Bad:Name"\n' });
    expect(res.ok).toBe(false);
    if (!res.ok) expect(JSON.stringify(res.errors)).toMatch(/acc\.queue/);
  });

  it('the writer reads its section from SBC_CDR_WRITER_* and never echoes the database URL in errors', () => {
    const ok = loadConfig({ sections: [cdrWriterSection], env: { SBC_CDR_WRITER_DATABASE_URL: 'postgres://u:pw@db/acc', SBC_CDR_WRITER_CONCURRENCY: '4' } });
    expect(ok.ok && ok.config.cdr_writer).toMatchObject({ database_url: 'postgres://u:pw@db/acc', concurrency: 4 });
    const bad = loadConfig({ sections: [cdrWriterSection], env: { SBC_CDR_WRITER_DATABASE_URL: '' } });
    expect(bad.ok).toBe(false);
  });
});
