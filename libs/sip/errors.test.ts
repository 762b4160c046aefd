import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PARSE_ERRORS, PARSE_ERROR_CODES } from './index.ts';
import { INVALID_CASES } from './fixtures/torture.ts';

describe('parse error registry', () => {
  it('every code has an answer, and 4xx/5xx codes have a reason phrase', () => {
    for (const code of PARSE_ERROR_CODES) {
      const info = PARSE_ERRORS[code];
      expect(info.status === 0 || (info.status >= 400 && info.status <= 599)).toBe(true);
      if (info.status !== 0) expect(info.reason.length).toBeGreaterThan(0);
    }
  });

  it('every code is exercised by a torture case', () => {
    const seen = new Set(INVALID_CASES.map((c) => c.code));
    expect(PARSE_ERROR_CODES.filter((c) => !seen.has(c))).toEqual([]);
  });

  it('every code is documented in docs/parser.md', () => {
    const doc = readFileSync(new URL('../../docs/parser.md', import.meta.url), 'utf8');
    expect(PARSE_ERROR_CODES.filter((c) => !doc.includes(`\`${c}\``))).toEqual([]);
  });
});
