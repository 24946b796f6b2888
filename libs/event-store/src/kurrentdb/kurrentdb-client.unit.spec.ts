import {
  CONNECTION_STRING_FORM,
  openKurrentDbClient,
  redactConnectionString,
  redactSecrets,
} from './kurrentdb-client';

describe('KurrentDB client', () => {
  describe('redactConnectionString', () => {
    it.each([
      ['kurrentdb://admin:changeit@db:2113?tls=true', 'kurrentdb://admin:***@db:2113?tls=true'],
      [
        'kurrentdb+discover://ops:s3cr%40t@a:2113,b:2113',
        'kurrentdb+discover://ops:***@a:2113,b:2113',
      ],
      ['esdb://:only-password@db:2113', 'esdb://:***@db:2113'],
      ['kurrentdb://db:2113?tls=false', 'kurrentdb://db:2113?tls=false'],
      ['kurrentdb://admin@db:2113', 'kurrentdb://admin@db:2113'],
    ])('%s → %s', (input, redacted) => {
      expect(redactConnectionString(input)).toBe(redacted);
    });
  });

  it('redactSecrets removes the password from any text', () => {
    const url = 'kurrentdb://admin:hunter2@db:2113';
    expect(redactSecrets('Unexpected "hunter2" at 18', url)).toBe('Unexpected "***" at 18');
    expect(redactSecrets('nothing to hide', 'kurrentdb://db:2113')).toBe('nothing to hide');
  });

  describe('openKurrentDbClient', () => {
    it('creates a client without contacting a server', async () => {
      const client = openKurrentDbClient('kurrentdb://127.0.0.1:2113?tls=false');
      await client.dispose();
    });

    it.each([
      'kurrentdb+discover://a:2113,b:2113?nodePreference=leader&tls=false',
      'kdb://127.0.0.1:2113?tls=false',
    ])('accepts %s', async (url) => {
      await openKurrentDbClient(url).dispose();
    });

    it('names the expected form and never the password when the string is malformed', () => {
      for (const url of [
        'http://admin:hunter2@db:2113',
        'kurrentdb://admin:hunter2@db:2113?tls=maybe',
        'kurrentdb://admin:hunter2@db:notaport',
      ]) {
        let message = '';
        try {
          openKurrentDbClient(url);
        } catch (error) {
          message = (error as Error).message;
        }
        expect(message).toContain('is invalid');
        expect(message).toContain(CONNECTION_STRING_FORM);
        expect(message).not.toContain('hunter2');
      }
    });
  });
});
