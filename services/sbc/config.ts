// The node's config sections: the core ones plus each feature's own.
import { nodeSections, type DeepReadonly, type ConfigOf } from '#libs/config';
import { permissionsSection } from '#libs/permissions';
import { pikeSection } from '#libs/pike';
import { hygieneSection, secfilterSection } from '#libs/secfilter';
import { topologySection } from '#libs/topology';

export const sbcSections = [...nodeSections, pikeSection, permissionsSection, secfilterSection, hygieneSection, topologySection] as const;
export type SbcConfig = DeepReadonly<ConfigOf<typeof sbcSections>>;
