/**
 * Requests Node's parser refuses (431, 400, 408) never reach a request handler: Node answered
 * them with a bare status line. Every Tandem HTTP server (the API, the relay's and projector's
 * health servers) answers them here, on the socket, as problem details.
 *
 * It must never echo the request's bytes beyond a readable path, nor write into a response
 * of the connection that has started.
 */
import { maxHeaderSize, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type HttpProblem, httpProblem, PROBLEM_CONTENT_TYPE } from './problem';

/**
 * Node's answer to a request it cannot parse (a 20,000-character URL or oversized headers:
 * 431; a malformed request line or header: 400; a request not received in time: 408) was a
 * bare status line with an empty body. These never reach a request handler (Express, a
 * worker's), so they are answered here,
 * on the socket, in the problem shape every other refusal has. As Node's own handler does, an
 * answer is written only when no response of this connection has started (a pipelined request
 * behind one being answered must not corrupt it), and the connection is closed after it: the
 * parser lost its place, so nothing more on it can be read (`Connection: close` tells the
 * client not to reuse it).
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: ClientError, socket: Duplex) => {
    const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
      socket.destroy();
      return;
    }
    const answer = clientErrorProblem(error, maxHeaderSize, server.maxHeadersCount ?? 0);
    const instance = requestPathOf(error.rawPacket);
    const body = JSON.stringify(instance === null ? answer : { ...answer, instance });
    socket.end(
      [
        `HTTP/1.1 ${answer.status} ${answer.title}`,
        `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
        `Content-Length: ${Buffer.byteLength(body)}`,
        'X-Content-Type-Options: nosniff',
        'Connection: close',
        '',
        body,
      ].join('\r\n'),
      () => socket.destroy(),
    );
  });
}

type ClientError = Error & { code?: string; reason?: string; rawPacket?: Buffer };

/**
 * The problem Node's parser error is, with the status Node itself would have answered. Node
 * raises the same overflow for too many bytes and for more header lines than the server's
 * `maxHeadersCount` (TANDEM_HTTP_MAX_HEADERS): the answer names both bounds.
 */
function clientErrorProblem(
  error: ClientError,
  headerLimit: number,
  headerLines: number,
): HttpProblem {
  switch (error.code ?? '') {
    case 'HPE_HEADER_OVERFLOW': {
      const lines = headerLines > 0 ? ` in at most ${headerLines} header lines` : '';
      const message = `the request line and headers together must be at most ${headerLimit} bytes${lines}`;
      return httpProblem(431, 'headers_too_large', message, {
        errors: [{ in: 'header', field: '(headers)', message }],
      });
    }
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return httpProblem(413, 'body_too_large', 'the chunk extensions of the body are too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return httpProblem(408, 'request_timeout', 'the request was not received in time');
    default: {
      // llhttp's reason is one of its fixed phrases ("Invalid header value char"), never input.
      const reason = (error.reason ?? error.code ?? 'malformed').replace(/[^\x20-\x7e]/g, '');
      return httpProblem(400, 'invalid_request', `invalid request: not valid HTTP/1.1 (${reason})`);
    }
  }
}

/** The path of the request the parser failed on, when its request line is readable so far. */
function requestPathOf(rawPacket: Buffer | undefined): string | null {
  const line = rawPacket?.toString('latin1', 0, 512) ?? '';
  return /^[A-Z]{3,10} (\/[\x21-\x3e\x40-\x7e]{0,200})[?# ]/.exec(line)?.[1] ?? null;
}
