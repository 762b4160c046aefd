// "Is this address mine?" (Kamailio check_self / myself): the bound and
// advertised addresses of every listen socket plus configured aliases.
import type { SipUri } from '#libs/sip';
import type { ListenSocketInfo } from '#libs/transport';

export class OwnAddresses {
  /** ports of every bound and advertised socket address, by host (a Map of Sets: no "host:port" string built per lookup) */
  private readonly portsByHost = new Map<string, Set<number>>();
  /** hosts that listen on a default port, so a port-less URI naming them is ours */
  private readonly defaultPortHosts = new Set<string>();
  /** aliases given without a port: any port matches (Kamailio `alias=host`) */
  private readonly anyPortHosts = new Set<string>();

  constructor(sockets: readonly ListenSocketInfo[], aliases: readonly string[] = []) {
    for (const s of sockets) {
      this.add(s.host, s.port);
      this.add(s.advertisedHost, s.advertisedPort);
    }
    for (const a of aliases) {
      const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(a.trim());
      if (m === null) continue;
      if (m[2] === undefined) this.anyPortHosts.add(norm(m[1]));
      else this.add(m[1], Number(m[2]));
    }
  }

  private add(host: string, port: number): void {
    const h = norm(host);
    let ports = this.portsByHost.get(h);
    if (ports === undefined) this.portsByHost.set(h, (ports = new Set()));
    ports.add(port);
    if (port === 5060 || port === 5061) this.defaultPortHosts.add(h);
  }

  /** host as written in a URI or Via (IPv6 brackets allowed); port undefined = the default port */
  isOwn(host: string, port: number | undefined): boolean {
    const h = norm(host);
    if (this.anyPortHosts.has(h)) return true;
    if (port === undefined) return this.defaultPortHosts.has(h);
    return this.portsByHost.get(h)?.has(port) ?? false;
  }

  isOwnUri(uri: SipUri | undefined): boolean {
    return uri !== undefined && uri.scheme !== 'tel' && this.isOwn(uri.host, uri.port);
  }
}

function norm(host: string): string {
  const h = host.toLowerCase();
  return h.charCodeAt(0) === 91 ? h.slice(1, h.length - 1) : h;
}
