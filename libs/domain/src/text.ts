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

/**
 * A character that shows: a letter, digit, punctuation mark or symbol (Unicode general
 * categories L, N, P, S) that is not default-ignorable (Hangul fillers U+115F, U+1160, U+3164
 * and U+FFA0 are letters no font draws), and not U+2800, the blank Braille pattern, a symbol
 * that prints as a space. Everything else shows nothing on its own: separators and spaces
 * (Z), controls, format characters and private or unassigned code points (C: U+200B–U+200D,
 * U+2060, U+FEFF, U+00AD…), and combining marks (M), which only change the character before
 * them.
 */
const visibleCharacter = /(?![\p{Default_Ignorable_Code_Point}\u2800])[\p{L}\p{N}\p{P}\p{S}]/u;

/**
 * True for text with at least one character that shows (visibleCharacter). A name, label or
 * code made only of invisible characters reads as blank in every view and CSV, yet groups
 * apart from every other blank one: a channel "\u200B" and a channel "\u2060" are two rows
 * nobody can tell apart. The rule for every name-like text of a new fact (libs/contracts'
 * textSchema) and every text a definition publishes; free text (notes) is not held to it.
 */
export const hasVisibleCharacter = (value: string): boolean => visibleCharacter.test(value);

export const VISIBLE_TEXT_MESSAGE =
  'must contain at least one visible character (a letter, digit, punctuation mark or symbol), not only spaces, invisible or combining characters';

/**
 * Characters a label, name, code or id of a new fact must not hold (ADR 0010, addendum
 * 2026-12-02): what Unicode calls default-ignorable (no font draws it: U+00AD soft hyphen,
 * U+034F, U+115F/U+1160/U+3164/U+FFA0 Hangul fillers, U+180E, U+200B zero width space,
 * U+2060–U+206F, U+FEFF, the tag characters U+E0000–U+E0FFF…) and the bidirectional controls
 * (U+061C, U+200E/U+200F, U+202A–U+202E, U+2066–U+2069). Either makes two texts that look
 * alike group apart (a channel `w\u200Beb` beside `web`) or, for the bidi controls, shows a
 * text in another order than it is stored ("Trojan Source", CVE-2021-42574). UAX #31 leaves
 * the default-ignorables out of identifiers and UTS #39's General Security Profile refuses
 * them; labels here are held to the same, with UAX #31's exception for the joiners and UTS
 * #51's keycaps and subdivision flags (emojiTagSequence, keycapSequence below).
 */
const hiddenCharacters = /[\p{Default_Ignorable_Code_Point}\p{Bidi_Control}]/gu;
/** The same, for the usual text's one test (matchAll's iterator costs ten times as much). */
const anyHiddenCharacter = /[\p{Default_Ignorable_Code_Point}\p{Bidi_Control}]/u;

/**
 * The joiners U+200C (ZWNJ) and U+200D (ZWJ) and the variation selectors spell Persian,
 * Indic and Sinhala words and emoji (👨‍👩‍👧, ❤️): allowed after a character of a
 * script that joins or an emoji, which is never ASCII, Latin, Greek or Cyrillic (UAX #31's
 * contexts A1, A2, B ask for a virama or a joining letter before them). After `w` in `w‍eb`
 * one only hides.
 */
const joiner = /^[\u200C\u200D\p{Variation_Selector}]$/u;
const joins = /^[^\p{ASCII}\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{White_Space}]$/u;

/**
 * The two emoji forms UTS #51 spells with a default-ignorable character after an ASCII one
 * or in a run of its own, which the joiner rule above cannot tell from hiding:
 *   - an emoji tag sequence: a base, tag characters (U+E0020–U+E007E), then the cancel tag
 *     U+E007F. The base is the black flag U+1F3F4, the only one Unicode gives sequences: the
 *     subdivision flags (England's is U+1F3F4, the tags spelling `gbeng`, U+E007F). UTS #51
 *     calls one valid when its tags spell a subdivision id in lower case (CLDR's
 *     unicode_subdivision_id: a region, two letters or three digits, then one to four
 *     letters or digits), and only that form is taken: tags that spell anything else, or
 *     stand anywhere else, or a run not closed by U+E007F, still smuggle ASCII text past a
 *     reader (`web` + invisible `admin`) and are refused.
 *   - an emoji keycap sequence: `0`–`9`, `#` or `*`, U+FE0F, then U+20E3 (1️⃣, #️⃣).
 * Both are reduced to what shows before the other characters are judged (the flag alone; the
 * key and its enclosing mark), so nothing else in the text is let through by them.
 */
const emojiTagSequence =
  /\u{1F3F4}(?:[\u{E0061}-\u{E007A}]{2}|[\u{E0030}-\u{E0039}]{3})[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]{1,4}\u{E007F}/gu;
const keycapSequence = /([0-9#*])\uFE0F\u20E3/g;

/**
 * The first character of `value` a label must not hold (hiddenCharacters), as its code point
 * (`U+200B`), or null. The code point is what a refusal names: never the text, which may be
 * a person's name.
 */
export function hiddenCharacterOf(value: string): string | null {
  if (!anyHiddenCharacter.test(value)) return null;
  const judged = value.replace(emojiTagSequence, '\u{1F3F4}').replace(keycapSequence, '$1\u20E3');
  for (const match of judged.matchAll(hiddenCharacters)) {
    const character = match[0];
    if (joiner.test(character) && joins.test(characterBefore(judged, match.index))) continue;
    return codePointOf(character);
  }
  return null;
}

/** The character (one code point, a surrogate pair whole) ending at `index`, or ''. */
function characterBefore(value: string, index: number): string {
  const last = value.charCodeAt(index - 1);
  const pair = index >= 2 && last >= 0xdc00 && last <= 0xdfff;
  return value.slice(index - (pair ? 2 : 1), index);
}

const codePointOf = (character: string): string =>
  `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/** What a refusal says of a text holding one (`U+200B`). */
export const hiddenCharacterMessage = (codePoint: string): string =>
  `must not contain ${codePoint}, an invisible or bidirectional control character`;

/**
 * A value with every string in it (at any depth, keys aside) in Unicode NFC, the composed
 * form: `e` + U+0301 becomes `é` (U+00E9). Canonically equivalent spellings are one text to
 * the people reading a funnel, so the edge takes new text in NFC (a command's text in
 * libs/contracts value-bounds, a definition when published) and they group and match as one.
 * Never applied to what is stored: history is read as it was recorded.
 */
export function inNfc<T>(value: T): T {
  if (typeof value === 'string') return value.normalize('NFC') as T;
  if (Array.isArray(value)) return value.map((item: unknown) => inNfc(item)) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]: [string, unknown]) => [key, inNfc(item)]),
  ) as T;
}

/**
 * Whether two texts are one value: equal, or canonically equivalent (the same in NFC). For a
 * retry compared with what was recorded: a fact stored before the edge took text in NFC may
 * hold the decomposed spelling the retry now arrives composed in.
 */
export const isSameText = (left: string | null, right: string | null): boolean =>
  left === right ||
  (left !== null && right !== null && left.normalize('NFC') === right.normalize('NFC'));
