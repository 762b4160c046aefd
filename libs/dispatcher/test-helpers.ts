// Test helpers: sets from dispatcher.list text.
import { formatConfigErrors } from '#libs/config';
import { buildDestinationSets } from './build.ts';
import { parseDispatcherList } from './list-file.ts';
import type { DestinationSet } from './types.ts';

export function setsFromList(text: string): DestinationSet[] {
  const parsed = parseDispatcherList(text, 'test.list');
  const built = buildDestinationSets(parsed.entries);
  const errors = [...parsed.errors, ...built.errors];
  if (errors.length > 0) throw new Error(formatConfigErrors(errors));
  return built.sets;
}

export const ctxFor = (callId: string, over: Partial<{ fromUri: string; toUri: string; ruri: string; authUser: string; hashKey: string }> = {}) => ({
  callId,
  fromUri: 'sip:alice@atlanta.example.com',
  toUri: 'sip:bob@biloxi.example.com',
  ruri: 'sip:bob@biloxi.example.com',
  ...over,
});
