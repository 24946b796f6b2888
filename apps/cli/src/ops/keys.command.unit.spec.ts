/**
 * `tandem keys` against a recording fake of the API: what each command asks for, what goes
 * to stdout (the result only, the key once) and to stderr, and refusals as exit 1.
 */
import { ApiError } from '../api-client';
import { recordingCliIo as recordingIo } from '../testing/recording-io';
import { type ApiKeyView, createKey, type KeysApi, listKeys, revokeKey } from './keys.command';

const listed: ApiKeyView = {
  keyId: '0123456789abcdef',
  name: 'hubspot-sync',
  roles: ['marketing'],
  actor: 'apikey:hubspot-sync',
  status: 'active',
  createdAt: '2026-11-29T20:00:00.000Z',
  createdBy: 'ops@example.com',
  revokedAt: null,
  revokedBy: null,
  lastUsedAt: null,
};
const apiKey = `tdk_0123456789abcdef_${'s'.repeat(43)}`;

function fakeApi(answer: (method: string, path: string, body?: unknown) => unknown) {
  const calls: unknown[][] = [];
  const api: KeysApi = {
    get: <T>(path: string) => {
      calls.push(['GET', path]);
      return Promise.resolve(answer('GET', path) as T);
    },
    post: <T>(path: string, body: unknown, role: string, actor: string) => {
      calls.push(['POST', path, body, role, actor]);
      return Promise.resolve(answer('POST', path, body) as T);
    },
    delete: (path: string, role: string, actor: string) => {
      calls.push(['DELETE', path, role, actor]);
      answer('DELETE', path);
      return Promise.resolve();
    },
  };
  return { api, calls };
}

describe('tandem keys create', () => {
  it('asks as ops and prints the key alone on stdout, the warning on stderr', async () => {
    const { api, calls } = fakeApi(() => ({ ...listed, apiKey }));
    const { io, out, err } = recordingIo();
    const code = await createKey(
      api,
      { name: 'hubspot-sync', roles: ['marketing'], actor: null, json: false },
      io,
    );
    expect(code).toBe(0);
    expect(calls).toEqual([
      [
        'POST',
        '/ops/api-keys',
        { name: 'hubspot-sync', roles: ['marketing'] },
        'ops',
        'tandem-cli',
      ],
    ]);
    expect(out).toEqual([apiKey]);
    expect(err.join('\n')).toContain('not shown again');
    expect(err.join('\n')).not.toContain(apiKey);
  });

  it('sends the actor when given, and with --json prints one document', async () => {
    const { api, calls } = fakeApi(() => ({ ...listed, actor: 'bi@acme', apiKey }));
    const { io, out } = recordingIo();
    await createKey(api, { name: 'n', roles: ['analyst'], actor: 'bi@acme', json: true }, io);
    expect(calls[0]?.[2]).toEqual({ name: 'n', roles: ['analyst'], actor: 'bi@acme' });
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0] as string)).toMatchObject({ apiKey, actor: 'bi@acme' });
  });

  it('exits 1 with the reason when the API refuses', async () => {
    const { api } = fakeApi(() => {
      throw new ApiError(
        403,
        { status: 403, detail: 'may not', message: 'may not' },
        '/ops/api-keys',
        'POST',
      );
    });
    const { io, out, err } = recordingIo();
    const code = await createKey(api, { name: 'n', roles: ['ops'], actor: null, json: false }, io);
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual(['refused (403): may not']);
  });
});

describe('tandem keys list and revoke', () => {
  it('lists as a table, with no secret field to print', async () => {
    const { api } = fakeApi(() => ({ keys: [listed] }));
    const { io, out } = recordingIo();
    expect(await listKeys(api, { json: false }, io)).toBe(0);
    expect(out[0]).toBe('API keys');
    expect(out.join('\n')).toMatch(
      /0123456789abcdef\s+hubspot-sync\s+marketing\s+apikey:hubspot-sync\s+active/,
    );
    expect(out.join('\n')).toContain('never');
  });

  it('revokes by id, and says so', async () => {
    const { api, calls } = fakeApi(() => undefined);
    const { io, out } = recordingIo();
    expect(await revokeKey(api, '0123456789abcdef', { json: true }, io)).toBe(0);
    expect(calls).toEqual([['DELETE', '/ops/api-keys/0123456789abcdef', 'ops', 'tandem-cli']]);
    expect(JSON.parse(out[0] as string)).toEqual({ revoked: '0123456789abcdef' });
  });

  it('an unknown id is a refusal: exit 1', async () => {
    const { api } = fakeApi(() => {
      throw new ApiError(
        404,
        { detail: 'no API key with that id', message: 'no API key with that id' },
        '/x',
        'DELETE',
      );
    });
    const { io, err } = recordingIo();
    expect(await revokeKey(api, 'ffffffffffffffff', { json: false }, io)).toBe(1);
    expect(err).toEqual(['refused (404): no API key with that id']);
  });
});
