// Helpers for the permissions tests: realistic SIP requests and configs
// read through loadConfig, as the node reads them.
import { expect } from 'vitest';
import { loadConfig } from '#libs/config';
import { parseMessage, type SipMessage } from '#libs/sip';
import type { Proto, RemoteInfo } from '#libs/transport';
import { permissionsSection, type PermissionsConfig } from './config.ts';
import type { ReadFile } from './rule-files.ts';

export interface RequestSpec {
  method: string;
  ruri: string;
  from: string;
  to?: string;
  toTag?: string;
  contacts?: string[];
  referTo?: string;
  /** Via sent-by host */
  via?: string;
}

let seq = 0;

/** A request as a softphone sends it, parsed by libs/sip. */
export function sipRequest(spec: RequestSpec): SipMessage {
  seq++;
  const via = spec.via ?? '203.0.113.50:5060';
  const lines = [
    `${spec.method} ${spec.ruri} SIP/2.0`,
    `Via: SIP/2.0/UDP ${via};branch=z9hG4bK${seq.toString(16)}a77f;rport`,
    'Max-Forwards: 70',
    `From: "Caller" <${spec.from}>;tag=8f2c${seq}`,
    `To: <${spec.to ?? spec.ruri}>${spec.toTag !== undefined ? `;tag=${spec.toTag}` : ''}`,
    `Call-ID: ${seq}-b1f9c2@203.0.113.50`,
    `CSeq: ${seq} ${spec.method}`,
    ...(spec.contacts ?? []).map((c) => `Contact: ${c}`),
    ...(spec.referTo !== undefined ? [`Refer-To: ${spec.referTo}`] : []),
    'User-Agent: Zoiper rv2.10.20.1',
    'Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE',
    'Content-Length: 0',
    '',
    '',
  ];
  const r = parseMessage(Buffer.from(lines.join('\r\n'), 'latin1'));
  if (!r.ok) throw new Error(`test request does not parse: ${r.error.code} ${r.error.detail}`);
  return r.msg;
}

const remote = (proto: Proto, address: string, port: number): RemoteInfo => ({ proto, address, port, family: address.includes(':') ? 'IPv6' : 'IPv4' });
export const udp = (address: string, port = 5060): RemoteInfo => remote('udp', address, port);
export const tcp = (address: string, port = 5060): RemoteInfo => remote('tcp', address, port);

/** The permissions section from YAML text (the body under `permissions:`), validated; fails the test on errors. */
export function permissionsConfig(yamlBody = '{}', cwd = '/etc/sbc'): PermissionsConfig {
  const text = `permissions:\n${yamlBody.split('\n').map((l) => `  ${l}`).join('\n')}`;
  const res = loadConfig({ sections: [permissionsSection] as const, env: {}, text, file: 'sbc.yaml', cwd });
  if (!res.ok) expect.fail(res.errors.map((e) => `${e.line}: ${e.path}: ${e.message}`).join('\n'));
  return res.config.permissions;
}

/** readFile over an in-memory folder; a missing file throws ENOENT like fs. */
export function memoryFiles(files: Record<string, string>): ReadFile {
  return (path) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return text;
  };
}
