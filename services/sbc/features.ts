// The features this node runs, in order. Start order is list order (a
// feature may use() the ones above it) and, within a pipeline place, so is
// step order: screening = bans (fail-closed) -> pike -> secfilter ->
// permissions -> preload-route; routing = dispatch; final = hygiene -> acc. Adding a feature: its
// folder under libs/ exporting a descriptor, and one entry here.
import { accFeature } from '#libs/acc';
import { bansFeature } from '#libs/bans';
import { dispatcherFeature } from '#libs/dispatcher';
import { permissionsFeature } from '#libs/permissions';
import { pikeFeature } from '#libs/pike';
import { preloadRouteFeature } from '#libs/preload';
import { hygieneFeature, secfilterFeature } from '#libs/secfilter';
import { topologyFeature } from '#libs/topology';

export const SBC_FEATURES = [bansFeature, dispatcherFeature, pikeFeature, secfilterFeature, permissionsFeature, preloadRouteFeature, hygieneFeature, topologyFeature, accFeature] as const;
