/** The dictionary Tandem starts with until someone publishes another version. */
import raw from './default-funnel-definition.json';
import { type FunnelDefinition, parseFunnelDefinition } from './funnel-definition';

export const defaultFunnelDefinition: FunnelDefinition = parseFunnelDefinition(raw);
