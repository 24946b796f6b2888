import { parseImportCommand } from './import-commands';

describe('parseImportCommand', () => {
  it('refuses a field the command does not have, naming its path, as the API does', () => {
    expect(
      parseImportCommand('CaptureLead', {
        contact: { name: 'Ada', email: 'ada@example.com' },
        company: { name: 'Acme' },
        source: { channel: 'web', campain: 'spring' },
        consent: { marketing: true },
      }),
    ).toEqual({
      ok: false,
      reason: 'CaptureLead: invalid data: source.campain: not a field of this command',
    });
    expect(parseImportCommand('AcceptLead', { note: null, notes: 'x' })).toEqual({
      ok: false,
      reason: 'AcceptLead: invalid data: notes: not a field of this command',
    });
  });

  it('refuses a profile that names no field: it would carry nothing', () => {
    for (const data of [{}, { role: null }]) {
      expect(parseImportCommand('ProfileLead', data)).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/^ProfileLead: invalid data: \(data\): names no field/),
      });
    }
    expect(parseImportCommand('ProfileLead', { role: 'cmo' })).toMatchObject({ ok: true });
  });
});
