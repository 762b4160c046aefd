// Human-readable output of admin results: lists of records as aligned
// tables (one level of nested lists flattened into rows, e.g. the
// destinations of each dispatcher set), plain records as key/value pairs.
type Row = Record<string, unknown>;

const isRecord = (v: unknown): v is Row => typeof v === 'object' && v !== null && !Array.isArray(v);
const isRecordList = (v: unknown): v is Row[] => Array.isArray(v) && v.length > 0 && v.every(isRecord);

function cell(v: unknown): string {
  if (v === undefined || v === null) return '-';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Rows of a record list; a field holding a list of records becomes one row per item, its fields prefixed. */
function flatten(rows: Row[]): Row[] {
  const out: Row[] = [];
  for (const r of rows) {
    const nestedKey = Object.keys(r).find((k) => isRecordList(r[k]));
    if (nestedKey === undefined) { out.push(r); continue; }
    const parent = Object.fromEntries(Object.entries(r).filter(([k]) => k !== nestedKey));
    for (const child of r[nestedKey] as Row[]) out.push({ ...parent, ...Object.fromEntries(Object.entries(child).map(([k, v]) => [`${k}`, v])) });
  }
  return out;
}

export function renderTable(rows: Row[]): string {
  const flat = flatten(rows);
  const columns: string[] = [];
  for (const r of flat) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  const cells = flat.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (vals: string[]) => vals.map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
}

/** The text an operator reads for any admin result. */
export function render(result: unknown): string {
  if (Array.isArray(result)) return result.length === 0 ? '(none)' : isRecordList(result) ? renderTable(result) : result.map(cell).join('\n');
  if (!isRecord(result)) return cell(result);
  const entries = Object.entries(result);
  // { sets: [...] } and the like: the one list is the answer, the other scalars a header
  const lists = entries.filter(([, v]) => isRecordList(v));
  if (lists.length === 1) {
    const header = entries.filter(([, v]) => !isRecordList(v)).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.map(cell).join(', ') : cell(v)}`);
    return [...header, ...(header.length ? [''] : []), renderTable(lists[0][1] as Row[])].join('\n');
  }
  const width = Math.max(0, ...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${k.padEnd(width)}  ${isRecordList(v) ? `\n${renderTable(v)}` : cell(v)}`).join('\n');
}
