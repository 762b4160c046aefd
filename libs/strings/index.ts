// Strings kept longer than the text they came from. A value parsed out of a
// message is, in V8, usually a slice of the message's whole text: it keeps
// all of that text alive for as long as it lives. Fine for the message's own
// life; not for a value kept seconds or hours longer (a cache key, a dialog
// record, a call-load entry, a registration in the in-memory store), where
// it turns a few bytes into the whole message, copied by every young
// collection and then promoted. No dependencies: the SIP libs, topology and
// the state backends all use it.

/**
 * A copy of `s` that shares no storage with the text it was sliced from.
 * (Concatenation makes a two-part string; slicing it makes V8 flatten the
 * two parts into a new string of their own, which the result slices.
 * Array join or slicing alone return the original slice when they can.)
 */
export function detachedCopy(s: string): string {
  return (' ' + s).slice(1);
}
