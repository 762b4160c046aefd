// Types for the part of the npm `sip` package (0.0.6, CommonJS, untyped) that
// the end-to-end UAs use. Shapes follow node_modules/sip/sip.js.
declare module 'sip' {
  export interface SipUri {
    schema?: string;
    user?: string;
    password?: string;
    host: string;
    port?: number;
    params: Record<string, string | null>;
    headers?: Record<string, string>;
  }
  /** name-addr of From/To/Contact/Route; Route and Record-Route arrive with a parsed uri */
  export interface NameAddr {
    name?: string;
    uri: string | SipUri;
    params: Record<string, string | null>;
  }
  export interface Via {
    version?: string;
    protocol?: string;
    host?: string;
    port?: number;
    params: Record<string, string | null>;
  }
  export interface CSeq {
    seq: number;
    method: string;
  }
  export interface Headers {
    via?: Via[];
    from?: NameAddr;
    to?: NameAddr;
    'call-id'?: string;
    cseq?: CSeq;
    contact?: NameAddr[] | '*';
    route?: NameAddr[];
    'record-route'?: NameAddr[];
    'max-forwards'?: string | number;
    'content-type'?: string;
    'content-length'?: number;
    [name: string]: unknown;
  }
  export interface Message {
    method?: string;
    uri?: string | SipUri;
    status?: number;
    reason?: string;
    version?: string;
    headers: Headers;
    content?: string;
  }
  export interface Remote {
    protocol: string;
    address: string;
    port: number;
    local?: { address: string; port: number };
  }
  export interface StackOptions {
    address?: string;
    port?: number;
    udp?: boolean;
    tcp?: boolean;
    /** host written in Via and compared with next hops (see send()) */
    publicAddress?: string;
    hostname?: string;
    rport?: boolean;
    logger?: {
      send?: (m: Message, target: Remote) => void;
      recv?: (m: Message, remote: Remote) => void;
      error?: (e: unknown) => void;
    };
  }
  export interface Stack {
    send(m: Message, onResponse?: (rs: Message) => void): void;
    destroy(): void;
    hostname(): string;
  }
  interface SipModule {
    create(options: StackOptions, onRequest: (rq: Message, remote: Remote) => void): Stack;
    makeResponse(rq: Message, status: number, reason?: string, extension?: { headers?: Headers; content?: string }): Message;
    parseUri(s: string | SipUri): SipUri | undefined;
    stringifyUri(uri: string | SipUri): string;
    parse(s: string | Buffer): Message | undefined;
    stringify(m: Message): string;
    copyMessage(m: Message, deep?: boolean): Message;
    generateBranch(): string;
  }
  const sip: SipModule;
  export default sip;
}

// The package's digest helpers (node_modules/sip/digest.js): MD5 only.
declare module 'sip/digest' {
  import type { Message } from 'sip';
  export interface DigestContext {
    nonce?: string;
    nc?: number;
    realm?: string;
    [k: string]: unknown;
  }
  export interface Credentials {
    user: string;
    password?: string;
    realm?: string;
  }
  /** Adds (Proxy-)Authorization to rq: from the challenge rs when given, else the next nc of ctx. Returns the context to reuse (qop) or null. */
  export function signRequest(ctx: DigestContext | null | undefined, rq: Message, rs?: Message, creds?: Credentials): DigestContext | null;
  const digest: { signRequest: typeof signRequest };
  export default digest;
}
