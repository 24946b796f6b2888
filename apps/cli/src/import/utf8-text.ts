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
 * The lines of a UTF-8 text file, as node:readline splits them (LF, CRLF or CR), decoded
 * strictly (assertUtf8). `onBytes` sees every chunk read, for a hash of the file's content.
 */
export async function* utf8Lines(
  file: string,
  onBytes: (chunk: Buffer) => void,
): AsyncGenerator<string> {
  let pending: Buffer[] = [];
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
    const last = chunk.lastIndexOf(LF);
    if (last === -1) {
      pending.push(chunk);
      continue;
    }
    // Up to a line feed, so a CRLF or a multi-byte character is never cut in two.
    yield* linesOf(Buffer.concat([...pending, chunk.subarray(0, last + 1)]));
    pending = [chunk.subarray(last + 1)];
  }
  const rest = Buffer.concat(pending);
  if (rest.length > 0) yield* linesOf(rest);
}
