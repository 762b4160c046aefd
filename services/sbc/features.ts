// The features this node runs, in order. Start order is list order (a
// feature may use() the ones above it) and, within a pipeline place, so is
// step order: screening = bans (fail-closed) -> pike -> secfilter ->
// permissions -> preload-route -> rr-check; routing = auth -> registrar.save -> registrar.lookup ->
// dispatch (a REGISTER is authenticated, then answered; a call to a
// registered user goes to its contacts, anything else to the dispatcher);
// final = rr-sign -> hygiene -> acc. Adding a feature: its
// folder under libs/ exporting a descriptor, and one entry here.
import { accFeature } from '#libs/acc';
import { authFeature } from '#libs/auth';
import { bansFeature } from '#libs/bans';
import { dispatcherFeature } from '#libs/dispatcher';
import { permissionsFeature } from '#libs/permissions';
import { pikeFeature } from '#libs/pike';
import { preloadRouteFeature } from '#libs/preload';
import { registrarFeature } from '#libs/registrar';
import { rrSignFeature } from '#libs/rrsign';
import { hygieneFeature, secfilterFeature } from '#libs/secfilter';
import { topologyFeature } from '#libs/topology';

export const SBC_FEATURES = [bansFeature, authFeature, registrarFeature, dispatcherFeature, pikeFeature, secfilterFeature, permissionsFeature, preloadRouteFeature, rrSignFeature, hygieneFeature, topologyFeature, accFeature] as const;
