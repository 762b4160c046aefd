// REGISTER processing (RFC 3261 §10.3, Kamailio registrar save()): reads the
// Contact/Expires/Path/+sip.instance of a request into the bindings to save,
// applies min/max/default expires, and builds the 200 OK listing every
// current binding. Pure: the Registrar class does the store round trip.
import type { HeaderList, NameAddr, SipMessage } from '#libs/sip';
import type { Contact, ContactInput } from '#libs/state';

export interface ExpiryPolicy {
  /** seconds, when neither the Contact nor Expires says (registrar default_expires) */
  defaultExpires: number;
  /** shorter non-zero requests get 423 Interval Too Brief (min_expires) */
  minExpires: number;
  /** longer requests are cut down to this (max_expires) */
  maxExpires: number;
  /** registrar max_contacts: bindings per AoR, and Contact values per REGISTER */
  maxContacts: number;
}

export interface RegisterSource {
  callId: string;
  cseq: number;
  /** sip:ip:port;transport=x of where the request came from (NAT: where the phone really is) */
  received: string;
  /** local socket id, and the node holding it (a TCP connection lives on one node) */
  socket: string;
  userAgent?: string;
}

export type RegisterPlan =
  /** no Contact: a query, answered with the current bindings */
  | { kind: 'fetch' }
  /** Contact: * with Expires: 0: remove every binding */
  | { kind: 'remove-all' }
  | { kind: 'save'; contacts: ContactInput[] }
  | { kind: 'refuse'; status: number; reason: string; headers?: HeaderList; code: RegisterRefusal; detail: string };

export type RegisterRefusal = 'registrar.bad_contact' | 'registrar.bad_star' | 'registrar.too_brief' | 'registrar.too_many_contacts';

const MAX_EXPIRES_VALUE = 0xffffffff;

export function planRegister(msg: SipMessage, src: RegisterSource, policy: ExpiryPolicy): RegisterPlan {
  const raw = msg.headerValues('contact');
  if (raw.length === 0) return { kind: 'fetch' };
  const contacts = msg.contacts();
  if (contacts.length !== raw.length) return refuse('registrar.bad_contact', 400, 'Bad Contact', 'unreadable Contact value');
  const headerExpires = parseExpires(msg.header('expires'));
  if (headerExpires === 'bad') return refuse('registrar.bad_contact', 400, 'Bad Contact', 'Expires is not a number of seconds');
  if (contacts.some((c) => c.star)) {
    // RFC 3261 §10.3 step 6: "*" alone, and only with Expires: 0
    if (contacts.length !== 1 || headerExpires !== 0) return refuse('registrar.bad_star', 400, 'Invalid Contact *', 'Contact * needs Expires: 0 and no other Contact');
    return { kind: 'remove-all' };
  }
  if (contacts.length > policy.maxContacts) return refuse('registrar.too_many_contacts', 403, 'Too Many Contacts', `${contacts.length} Contact values, max_contacts ${policy.maxContacts}`);
  const path = msg.headerValues('path');
  const out: ContactInput[] = [];
  for (const c of contacts) {
    const input = toInput(c, src, headerExpires, policy, path);
    if (typeof input === 'string') {
      if (input === 'brief') return refuse('registrar.too_brief', 423, 'Interval Too Brief', `expires below ${policy.minExpires} s`, [['Min-Expires', String(policy.minExpires)]]);
      return refuse('registrar.bad_contact', 400, 'Bad Contact', input);
    }
    out.push(input);
  }
  return { kind: 'save', contacts: out };
}

function refuse(code: RegisterRefusal, status: number, reason: string, detail: string, headers?: HeaderList): RegisterPlan {
  return headers ? { kind: 'refuse', status, reason, headers, code, detail } : { kind: 'refuse', status, reason, code, detail };
}

function parseExpires(v: string | null | undefined): number | undefined | 'bad' {
  if (v === undefined || v === null) return undefined;
  const t = v.trim();
  if (!/^\d{1,10}$/.test(t)) return 'bad';
  return Math.min(Number(t), MAX_EXPIRES_VALUE);
}

function toInput(c: NameAddr, src: RegisterSource, headerExpires: number | undefined, p: ExpiryPolicy, path: string[]): ContactInput | string {
  if (c.uri === undefined || c.uri.scheme === 'tel' || c.uri.host === '') return 'Contact is not a sip/sips URI';
  const own = parseExpires(c.params.get('expires'));
  if (own === 'bad') return 'Contact expires is not a number of seconds';
  let expires = own ?? headerExpires ?? p.defaultExpires;
  if (expires !== 0 && expires < p.minExpires) return 'brief';
  if (p.maxExpires > 0 && expires > p.maxExpires) expires = p.maxExpires;
  const qText = c.params.get('q');
  let q: number | undefined;
  if (qText !== undefined && qText !== null) {
    if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(qText)) return 'Contact q is not within 0..1';
    q = Number(qText);
  }
  const input: ContactInput = { uri: c.uriText, expiresMs: expires * 1000, callId: src.callId, cseq: src.cseq, received: src.received, socket: src.socket };
  if (q !== undefined) input.q = q;
  if (path.length > 0) input.path = path;
  if (src.userAgent !== undefined) input.userAgent = src.userAgent.slice(0, 255);
  const instance = c.params.get('+sip.instance');
  if (instance !== undefined && instance !== null) input.instance = instance;
  const regId = c.params.get('reg-id');
  if (regId !== undefined && regId !== null && /^\d{1,9}$/.test(regId)) input.regId = Number(regId);
  return input;
}

/** The 200 OK headers: every current binding with its remaining lifetime, and Path echoed (RFC 3327) when supported. */
export function okHeaders(contacts: readonly Contact[], msg: SipMessage, now: number): HeaderList {
  const h: [string, string][] = contacts.map((c) => ['Contact', contactValue(c, now)]);
  const supported = msg.headerValues('supported').some((s) => s.trim().toLowerCase() === 'path');
  if (supported) for (const p of msg.headerValues('path')) h.push(['Path', p]);
  h.push(['Date', new Date(now).toUTCString()]);
  return h;
}

function contactValue(c: Contact, now: number): string {
  const uri = c.uri.startsWith('<') ? c.uri : `<${c.uri}>`;
  let v = `${uri};expires=${Math.max(0, Math.round((c.expiresAt - now) / 1000))}`;
  if (c.q !== 1) v += `;q=${c.q}`;
  if (c.instance !== undefined) v += `;+sip.instance=${c.instance}`;
  if (c.regId !== undefined) v += `;reg-id=${c.regId}`;
  return v;
}
