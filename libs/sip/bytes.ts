// Buffer <-> byte-string helpers. SIP is parsed as latin1 so that one char is
// one byte and string offsets equal buffer offsets. latin1Slice/latin1Write
// exist on every Node Buffer but are missing from @types/node.
interface Latin1Buffer {
  latin1Slice(start: number, end: number): string;
  latin1Write(s: string, offset: number, length: number): number;
}

export function latin1(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as Latin1Buffer).latin1Slice(start, end);
}

export function writeLatin1(buf: Buffer, s: string, offset: number): number {
  return (buf as unknown as Latin1Buffer).latin1Write(s, offset, s.length);
}
