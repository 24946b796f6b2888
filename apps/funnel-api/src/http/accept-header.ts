/** An Accept header's media ranges, each with its q (1 when absent, 0 when unreadable). Pure. */

export interface MediaRange {
  readonly type: string;
  readonly q: number;
}

export function parseAccept(accept: string): MediaRange[] {
  return accept
    .split(',')
    .map((part) => {
      const [type = '', ...params] = part.split(';').map((piece) => piece.trim());
      const qParam = params.find((param) => /^q=/i.test(param));
      const q = qParam === undefined ? 1 : Number(qParam.slice(2));
      return { type: type.toLowerCase(), q: Number.isFinite(q) ? q : 0 };
    })
    .filter((range) => range.type !== '');
}

/** Whether a range with q > 0 takes `type`: the type itself, its major type, or any type. */
export const accepts = (ranges: readonly MediaRange[], type: string): boolean =>
  ranges.some(
    (range) =>
      range.q > 0 &&
      (range.type === type ||
        range.type === '*/*' ||
        (range.type.endsWith('/*') && type.startsWith(range.type.slice(0, -1)))),
  );
