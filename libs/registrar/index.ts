// libs/registrar: registrar and location service (Kamailio registrar + usrloc)
// over the shared LocationStore: any node answers a REGISTER, any node routes
// a call to a registered user (docs/registrar.md).
//   registrarSection         config section `registrar`
//   registrarFeature         the descriptor: steps registrar.save / registrar.lookup (routing), admin ul.dump / ul.lookup / ul.rm
//   Registrar                save / lookup / targets (registrar.ts); planRegister, okHeaders (register.ts)
//   REGISTRAR_REJECTIONS, REGISTRAR_METRIC_NAMES
export { registrarSection, type RegistrarConfig } from './config.ts';
export { registrarFeature } from './feature.ts';
export { Registrar, AOR_INDEX_TABLE, type LookupTarget, type RegisterAnswer } from './registrar.ts';
export { planRegister, okHeaders, type ExpiryPolicy, type RegisterPlan } from './register.ts';
export { aorOf, receivedUri } from './aor.ts';
export { localAor } from './step.ts';
export { REGISTRAR_REJECTIONS } from './rejections.ts';
export { REGISTRAR_METRIC_NAMES } from './metrics.ts';
