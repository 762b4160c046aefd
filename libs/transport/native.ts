// Loads the batched UDP addon (native/sbc_udp.c, built by `npm ci`'s
// postinstall: scripts/build-native.mjs) once. Missing or unloadable (not
// Linux, no compiler when installed, other Node ABI) = undefined, and the
// transport uses node:dgram; `loadError` says why.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon's socket (IPv4): see native/sbc_udp.c for the contract of each method. */
export interface NativeUdpSocket {
  /** Int32Array(4 x BATCH): offsets, lengths, ports, addresses (uint32 bits) of the current batch */
  meta(): Int32Array;
  port(): number | undefined;
  bufferSizes(): [number, number];
  /** false = not queued (queue full while the kernel takes nothing, too large, closed) */
  queue(data: Buffer, port: number, addr: number): boolean;
  /** sends the queue; returns datagrams dropped by send errors since the last call */
  flush(): number;
  pending(): number;
  lastError(): string | undefined;
  close(done: () => void): void;
}

export interface NativeUdp {
  readonly BATCH: number;
  /** onBatch(n, buf): n datagrams in buf (the addon calls it once per datagram, n = 1; n < 0: -errno of a receive error) */
  Socket: new (
    host: string,
    port: number,
    recvBufferSize: number,
    sendBufferSize: number,
    onBatch: (n: number, buf: Buffer) => void,
  ) => NativeUdpSocket;
}

const ADDON = 'native/build/Release/sbc_udp.node';

function candidates(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  // libs/transport/*.ts (tsx, vitest) or the bundle dist/sbc.mjs at the repo root
  return [join(here, ADDON), join(here, '../libs/transport', ADDON)];
}

function load(): { addon?: NativeUdp; error?: string } {
  if (process.platform !== 'linux') return { error: `batched UDP I/O needs Linux (this is ${process.platform})` };
  const path = candidates().find((p) => existsSync(p));
  if (path === undefined) return { error: `addon not built (${ADDON}: npm run build:native, which npm ci runs, builds it with node-gyp and a C compiler)` };
  try {
    return { addon: createRequire(import.meta.url)(path) as NativeUdp };
  } catch (err) {
    return { error: `cannot load ${path}: ${(err as Error).message}` };
  }
}

const loaded = load();

/** The addon, or undefined when it is not available here. */
export const nativeUdp: NativeUdp | undefined = loaded.addon;
/** Why the addon is not available (undefined when it is). */
export const nativeUdpLoadError: string | undefined = loaded.error;
