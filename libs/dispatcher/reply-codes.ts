// ds_ping_reply_codes: which answers to a probe count as "up". Any 2xx always
// does (Kamailio accepts 200-299); the list adds whole classes ("class=4":
// 400-499) or single codes ("code=403"), separated by ";" (or ","/":").
// A local timeout (our own 408) is never a success, whatever the list says:
// Kamailio's note that "code=408" would hide dead gateways is a trap we avoid.

export type ReplyCodeCheck = (status: number) => boolean;

/** Parses the list; a string is the problem with the text. */
export function parseReplyCodes(text: string): ReplyCodeCheck | string {
  const classes = new Set<number>([2]);
  const codes = new Set<number>();
  for (const raw of text.split(/[;,:]/)) {
    const part = raw.trim();
    if (part === '') continue;
    const m = /^(class|code)\s*=\s*(\d+)$/i.exec(part);
    if (!m) return `"${part}" is not class=N or code=NNN`;
    const n = Number(m[2]);
    if (m[1].toLowerCase() === 'class') {
      if (n < 1 || n > 6) return `class=${m[2]}: a class is 1..6 (class=2 means 200-299)`;
      classes.add(n);
    } else {
      if (n < 100 || n > 699) return `code=${m[2]}: a code is 100..699`;
      codes.add(n);
    }
  }
  return (status) => codes.has(status) || classes.has(Math.floor(status / 100));
}
