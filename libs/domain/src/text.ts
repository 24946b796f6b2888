/**
 * Text PostgreSQL's jsonb can store as given: no U+0000, no unpaired surrogate half (the
 * append would fail without naming the field, or UTF-8 would turn the half into U+FFFD).
 * The one definition of it: value-bounds (contracts) builds the events' text bounds on it,
 * the dictionary checks a definition's text with it.
 */

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True for a string PostgreSQL's jsonb can store as given. */
export const isStorableText = (value: string): boolean =>
  !value.includes('\u0000') && !loneSurrogate.test(value);

export const STORABLE_TEXT_MESSAGE = 'must not contain U+0000 or unpaired surrogate characters';
