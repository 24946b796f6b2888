/**
 * Whether a JSON text names a key twice in one object (`{"amount": 1, "amount": 1000}`).
 * JSON.parse keeps the last one without a word, another parser (a gateway, a log pipeline,
 * the client's own) may keep the first: two readers of one request would disagree on what it
 * said. I-JSON (RFC 7493 §2.3) says names MUST be unique, so the API's body parser, the
 * importer's JSON Lines reader and the rules draft reader ask this and refuse such a text,
 * naming the repeated key's path.
 *
 * One linear pass over the text, no parse: strings are skipped with indexOf (most of a body),
 * and a key is compared with the keys of its own object only, in a small array (a Set past
 * SET_FROM keys, so a 1 MB object of distinct keys stays linear). It must never judge
 * anything but key uniqueness: what an object may hold stays with the request schemas.
 */
import { inexactJsonNumberOf, inexactNumberMessage } from './exact-json-numbers';

/** A key named twice in one object: the dotted path of the second (`data.budget.amount`). */
export interface DuplicateJsonKey {
  readonly field: string;
}

/** The sentence a refusal says of one. */
export const DUPLICATE_KEY_MESSAGE =
  'is named more than once in its object (JSON names must be unique, RFC 7493)';

/** From this many keys, an object's keys are kept in a Set rather than searched in an array. */
const SET_FROM = 16;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** An open object (its keys so far, the key being read) or array (the index being read). */
interface Frame {
  readonly isObject: boolean;
  keys: string[] | Set<string>;
  key: string;
  index: number;
  /** In an object: the next string is a key (after `{` or `,`), not a value. */
  expectsKey: boolean;
}

/**
 * The first key (in document order) named twice in one object, or null when every object's
 * keys are unique, or when `text` is not JSON (the caller's parse names that). Keys compare
 * as JSON.parse reads them: `"a"` and `"\u0061"` are one key.
 */
export function duplicateJsonKeyOf(text: string): DuplicateJsonKey | null {
  const frames: Frame[] = [];
  const length = text.length;
  let top: Frame | undefined;
  for (let at = 0; at < length; at += 1) {
    const code = text.charCodeAt(at);
    if (code === QUOTE) {
      const end = closingQuoteOf(text, at);
      if (end < 0) return null;
      if (top?.expectsKey === true) {
        const key = keyOf(text, at, end);
        if (key === null) return null;
        if (hasKey(top, key)) return isJson(text) ? { field: pathOf(frames, key) } : null;
        addKey(top, key);
        top.key = key;
        top.expectsKey = false;
      }
      at = end;
    } else if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
      const isObject = code === OPEN_OBJECT;
      top = { isObject, keys: [], key: '', index: 0, expectsKey: isObject };
      frames.push(top);
    } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) {
      frames.pop();
      top = frames[frames.length - 1];
    } else if (code === COMMA && top !== undefined) {
      if (top.isObject) top.expectsKey = true;
      else top.index += 1;
    }
  }
  return null;
}

/** The index of the quote that closes the string opening at `open`, or -1 if none does. */
function closingQuoteOf(text: string, open: number): number {
  let end = text.indexOf('"', open + 1);
  while (end > 0) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
  return -1;
}

/** The key the string between two quotes names, escapes read (null: not a JSON string). */
function keyOf(text: string, open: number, close: number): string | null {
  const raw = text.slice(open + 1, close);
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(text.slice(open, close + 1)) as string;
  } catch {
    return null;
  }
}

function hasKey(frame: Frame, key: string): boolean {
  return Array.isArray(frame.keys) ? frame.keys.includes(key) : frame.keys.has(key);
}

function addKey(frame: Frame, key: string): void {
  if (!Array.isArray(frame.keys)) frame.keys.add(key);
  else if (frame.keys.length < SET_FROM) frame.keys.push(key);
  else frame.keys = new Set([...frame.keys, key]);
}

/** The dotted path of `key` in the innermost open object: each frame's key or index. */
function pathOf(frames: readonly Frame[], key: string): string {
  const parents = frames
    .slice(0, -1)
    .map((frame) => (frame.isObject ? frame.key : String(frame.index)));
  return [...parents, key].join('.');
}

/** Only on the rare path: a text that repeats a key but is not JSON is refused as not JSON. */
function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Where a JSON text would be read other than it was sent, and the sentence a refusal says. */
export interface NotReadAsSent {
  readonly field: string;
  readonly message: string;
}

/**
 * The first place JSON.parse would read `text` other than it was sent: a key named twice in one
 * object (duplicateJsonKeyOf), else a number it would round (inexactJsonNumberOf, one regular
 * expression on the usual text); null when neither, or when `text` is not JSON. The API's body
 * parser and the importer's JSON Lines reader refuse what it names.
 */
export function notReadAsSentOf(text: string): NotReadAsSent | null {
  const duplicate = duplicateJsonKeyOf(text);
  if (duplicate !== null) return { field: duplicate.field, message: DUPLICATE_KEY_MESSAGE };
  const number = inexactJsonNumberOf(text);
  return number === null ? null : { field: number.field, message: inexactNumberMessage(number) };
}

/**
 * The values the top-level object of a JSON text gives `key`, in document order: more than one
 * when it names the key twice (JSON.parse keeps the last, another reader the first). A string
 * is read as JSON.parse reads it; any other value is null. Scanned like duplicateJsonKeyOf, so
 * a caller that found the key repeated can name every value, not only the one JSON.parse kept.
 */
export function topLevelValuesOf(text: string, key: string): (string | null)[] {
  const values: (string | null)[] = [];
  const inObject = text.trimStart().charCodeAt(0) === OPEN_OBJECT;
  let depth = 0;
  let expectsKey = false;
  /** The value being read at depth 1 is `key`'s. */
  let wanted = false;
  const otherValue = () => {
    if (wanted) values.push(null);
    wanted = false;
  };
  for (let at = 0; at < text.length; at += 1) {
    const code = text.charCodeAt(at);
    if (code === QUOTE) {
      const end = closingQuoteOf(text, at);
      if (end < 0) return values;
      if (depth === 1 && inObject && expectsKey) {
        wanted = keyOf(text, at, end) === key;
        expectsKey = false;
      } else if (depth === 1 && wanted) {
        values.push(keyOf(text, at, end));
        wanted = false;
      }
      at = end;
    } else if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
      if (depth === 1) otherValue();
      depth += 1;
      if (depth === 1) expectsKey = inObject;
    } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) {
      if (depth === 1) otherValue();
      depth -= 1;
    } else if (code === COMMA && depth === 1) {
      otherValue();
      expectsKey = inObject;
    }
  }
  return values;
}
