/**
 * The visitor decider: records anonymous touchpoints in a visitor's stream. There is no
 * lifecycle to guard; what it does decide is that a touchpoint id is recorded once per visitor
 * (a tracking snippet retries on a flaky network), and that the id names this stream.
 */
import type { TouchpointKind } from '../rules/funnel-definition';
import {
  InvalidVisitorIdError,
  VISITOR_ID_PATTERN,
  type AnonymousTouchpointRecorded,
  type VisitorEvent,
} from './visitor.events';

export type RecordAnonymousTouchpoint = {
  type: 'RecordAnonymousTouchpoint';
  data: {
    visitorId: string;
    touchpointId: string;
    kind: TouchpointKind;
    channel: string;
    campaign: string | null;
  };
};
export type VisitorCommand = RecordAnonymousTouchpoint;

export interface VisitorState {
  readonly touchpointIds: ReadonlySet<string>;
}

export const initialVisitorState = (): VisitorState => ({ touchpointIds: new Set() });

export function evolveVisitor(state: VisitorState, event: VisitorEvent): VisitorState {
  return { touchpointIds: new Set([...state.touchpointIds, event.data.touchpointId]) };
}

/** A touchpoint already recorded decides nothing: the retry is answered, not recorded twice. */
export function decideVisitor(
  command: VisitorCommand,
  state: VisitorState,
): AnonymousTouchpointRecorded[] {
  if (!VISITOR_ID_PATTERN.test(command.data.visitorId)) {
    throw new InvalidVisitorIdError(command.data.visitorId);
  }
  if (state.touchpointIds.has(command.data.touchpointId)) return [];
  return [{ type: 'AnonymousTouchpointRecorded', data: command.data }];
}
