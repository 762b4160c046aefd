// Bulk subscriber import: one subscriber a line, as `kamctl add` takes them.
//   alice@example.com  s3cret                      (password, hashed on import)
//   bob@example.com    ha1=<32 hex> ha1_sha256=<64 hex>
// Blank lines and lines starting with # are skipped. Every bad line is
// reported with its number; good lines are imported.
import type { SubscriberSecret } from './subscribers.ts';

export interface ImportLine {
  line: number;
  username: string;
  domain: string;
  secret: SubscriberSecret;
}

export interface ImportProblem {
  line: number;
  error: string;
}

export const MAX_IMPORT_LINES = 10_000;

export function parseImport(text: string): { entries: ImportLine[]; problems: ImportProblem[] } {
  const entries: ImportLine[] = [];
  const problems: ImportProblem[] = [];
  const lines = text.split(/\r?\n/);
  if (lines.length > MAX_IMPORT_LINES) return { entries, problems: [{ line: MAX_IMPORT_LINES + 1, error: `more than ${MAX_IMPORT_LINES} lines: split the file` }] };
  lines.forEach((raw, i) => {
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) return;
    const parsed = parseLine(text);
    if (typeof parsed === 'string') problems.push({ line: i + 1, error: parsed });
    else entries.push({ line: i + 1, ...parsed });
  });
  return { entries, problems };
}

function parseLine(text: string): Omit<ImportLine, 'line'> | string {
  const [aor, ...rest] = text.split(/\s+/);
  const at = aor.lastIndexOf('@');
  if (at <= 0 || at === aor.length - 1) return 'first field must be username@domain';
  const username = aor.slice(0, at);
  const domain = aor.slice(at + 1);
  if (rest.length === 0) return 'missing password (or ha1=/ha1_sha256=)';
  if (!rest.some((f) => f.startsWith('ha1=') || f.startsWith('ha1_sha256='))) {
    if (rest.length > 1) return 'a password must not contain spaces';
    return { username, domain, secret: { password: rest[0] } };
  }
  const secret: { ha1?: string; ha1Sha256?: string } = {};
  for (const f of rest) {
    if (f.startsWith('ha1=')) secret.ha1 = f.slice(4);
    else if (f.startsWith('ha1_sha256=')) secret.ha1Sha256 = f.slice(11);
    else return `unexpected field "${f.slice(0, 20)}" (use ha1= and ha1_sha256=, or a password alone)`;
  }
  return { username, domain, secret };
}
