/**
 * Import files are UTF-8, and read strictly. Node's decoder turns bytes that are not UTF-8
 * (a Latin-1 or Windows-1252 export: `José` saved by an old spreadsheet) into U+FFFD without a
 * word, so `Jos�` would be imported, stored and projected for good. A file holding such bytes
 * is refused whole, naming its first bad line, before anything is decided or written: every
 * line of it is suspect, and refusing only the bad lines would import the rest of their leads.
 */
import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { UsageError } from '../usage-error';

const LF = 0x0a;

/** Throws a UsageError naming the first line of `bytes` that is not UTF-8 (lines counted from `firstLine`). */
export function assertUtf8(file: string, bytes: Uint8Array, firstLine = 1): void {
  if (isUtf8(bytes)) return;
  let line = firstLine;
  let start = 0;
  for (;;) {
    const end = bytes.indexOf(LF, start);
    if (!isUtf8(bytes.subarray(start, end === -1 ? bytes.length : end)) || end === -1) break;
    line += 1;
    start = end + 1;
  }
  throw new UsageError(
    `${file}: line ${line} is not UTF-8 text (a Latin-1 or Windows-1252 export?): save the file as UTF-8 and import it again`,
  );
}

/**
 * The longest line utf8Lines reads: 1 MiB. A canonical fact is a few KiB (its text fields are
 * bounded, its lists short), so this leaves a hundredfold margin, while a file that is not JSON
 * Lines at all (one line of gigabytes, a binary dump) is refused having read about that much.
 */
export const MAX_LINE_BYTES = 1024 * 1024;

const CR = 0x0d;

/**
 * The lines of a UTF-8 text file, as node:readline splits them (LF, CRLF or CR), decoded
 * strictly (assertUtf8). `onBytes` sees every chunk read, for a hash of the file's content.
 * A line longer than MAX_LINE_BYTES is a UsageError naming it, thrown before the rest of the
 * file is read: a line is held whole until its end, so an unbounded one would be held whole.
 */
export async function* utf8Lines(
  file: string,
  onBytes: (chunk: Buffer) => void,
): AsyncGenerator<string> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 1;
  const linesOf = (block: Buffer): string[] => {
    assertUtf8(file, block, line);
    const lines = block.toString('utf8').split(/\r\n|\r|\n/);
    if (lines.at(-1) === '') lines.pop();
    line += lines.length;
    return lines;
  };
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    onBytes(chunk);
    // Up to a line feed, so a CRLF or a multi-byte character is never cut in two; up to a
    // carriage return only when no line feed comes and the next byte is known not to be one.
    let last = chunk.lastIndexOf(LF);
    if (last === -1) last = chunk.subarray(0, -1).lastIndexOf(CR);
    if (last === -1) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes > MAX_LINE_BYTES) {
        const breaks = pending.reduce((count, part) => count + countOf(part, CR), 0);
        throw new UsageError(
          `${file}: line ${line + breaks} is longer than 1 MiB (a fact is a few KiB): is it JSON Lines?`,
        );
      }
      continue;
    }
    yield* linesOf(Buffer.concat([...pending, chunk.subarray(0, last + 1)]));
    pending = [chunk.subarray(last + 1)];
    pendingBytes = pending[0]?.length ?? 0;
  }
  const rest = Buffer.concat(pending);
  if (rest.length > 0) yield* linesOf(rest);
}

const countOf = (bytes: Buffer, byte: number): number => {
  let count = 0;
  for (let at = bytes.indexOf(byte); at !== -1; at = bytes.indexOf(byte, at + 1)) count += 1;
  return count;
};
