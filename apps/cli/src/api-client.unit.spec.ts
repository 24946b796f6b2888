import { networkReason, resolveApiEndpoint } from './api-client';
import { UsageError } from './cli-failure';

describe('resolveApiEndpoint', () => {
  it('prefers --api, then TANDEM_API_URL, then the default', () => {
    const env = { TANDEM_API_URL: 'https://tandem.internal' };
    expect(resolveApiEndpoint('http://flag:1', env)).toEqual({
      url: 'http://flag:1',
      source: '--api',
    });
    expect(resolveApiEndpoint(undefined, env)).toEqual({
      url: 'https://tandem.internal',
      source: 'TANDEM_API_URL',
    });
    expect(resolveApiEndpoint(undefined, { TANDEM_API_URL: '' })).toEqual({
      url: 'http://127.0.0.1:3000',
      source: 'default',
    });
  });

  it('refuses what is not an http(s) URL, naming where it came from', () => {
    expect(() => resolveApiEndpoint('3000', {})).toThrow(
      new UsageError('--api is not a URL: 3000'),
    );
    expect(() => resolveApiEndpoint(undefined, { TANDEM_API_URL: 'ftp://x' })).toThrow(
      'TANDEM_API_URL must be an http:// or https:// URL: ftp://x',
    );
  });
});

describe('networkReason', () => {
  const fetchFailed = (cause: unknown) => new TypeError('fetch failed', { cause });
  const withCode = (code: string) =>
    Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });

  it.each([
    ['ECONNREFUSED', 'connection refused'],
    ['ENOTFOUND', 'host not found'],
    ['UND_ERR_CONNECT_TIMEOUT', 'connection timed out'],
    ['ECONNRESET', 'connection closed by the server'],
  ])('%s → %s', (code, reason) => {
    expect(networkReason(fetchFailed(withCode(code)))).toBe(reason);
  });

  it('reads the first error of a happy-eyeballs AggregateError', () => {
    const both = new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], '');
    expect(networkReason(fetchFailed(both))).toBe('connection refused');
  });

  it('falls back to the message and the code', () => {
    expect(networkReason(fetchFailed(withCode('EPROTO')))).toBe(
      'connect EPROTO 127.0.0.1:1 (EPROTO)',
    );
    expect(networkReason(fetchFailed(new Error('bad port')))).toBe('bad port');
  });
});
