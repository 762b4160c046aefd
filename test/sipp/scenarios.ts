// The kit's sipp scenarios (XML files in ./scenarios), by name.
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('./scenarios/', import.meta.url));

export const SCENARIOS = {
  /** caller: INVITE/SDP, 200, ACK and BYE through the Record-Route set */
  uac: 'uac.xml',
  /** caller that CANCELs after 180 and expects 200 (CANCEL) + 487 (INVITE) */
  uac_cancel: 'uac_cancel.xml',
  /** one OPTIONS to the proxy itself, expecting 200 */
  options: 'options.xml',
  /** gateway answering 100/180/200, then ACK, BYE/200 */
  uas: 'uas.xml',
  /** gateway answering every INVITE with 503 */
  uas_503: 'uas_503.xml',
  /** gateway that rings until CANCEL, then 200 + 487 */
  uas_ring: 'uas_ring.xml',
  /** one REGISTER per call, success on 200, failure when unanswered for 1 s */
  uac_register: 'uac_register.xml',
  /** phone registering with digest: REGISTER, 401, REGISTER with [authentication] (user = -s; -key domain D, -auth_uri D, -au/-ap), 200 */
  uac_register_auth: 'uac_register_auth.xml',
  /** a local user calling with proxy auth: INVITE, 407, ACK, INVITE with [authentication], 200, ACK, BYE (-key user/domain, -au/-ap, -auth_uri) */
  uac_auth: 'uac_auth.xml',
  /** registrar answering every REGISTER with 200 */
  uas_register: 'uas_register.xml',
} as const;

export type ScenarioName = keyof typeof SCENARIOS;

/** A kit scenario name, or a path to any other sipp XML scenario. */
export type ScenarioRef = ScenarioName | (string & {});

export function scenarioPath(ref: ScenarioRef): string {
  if (Object.hasOwn(SCENARIOS, ref)) return dir + SCENARIOS[ref as ScenarioName];
  if (ref.endsWith('.xml')) return ref;
  throw new Error(`unknown sipp scenario "${ref}": use one of ${Object.keys(SCENARIOS).join(', ')} or a path to an .xml file`);
}
