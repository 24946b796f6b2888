import { createHash } from 'node:crypto';
import { analystAccessStatements, InvalidAnalystAccessError } from './analyst-access';
import { InvalidDatabaseNameError } from './analytics.database';

describe('analystAccessStatements', () => {
  const password = 'correct horse battery staple';
  const hash = createHash('sha256').update(password).digest('hex');

  it('grants SELECT on the analytics database only, through a role, read-only', () => {
    const statements = analystAccessStatements('tandem', { user: 'analyst', password });
    expect(statements).toEqual([
      'CREATE ROLE IF NOT EXISTS tandem_analyst',
      'GRANT SELECT ON `tandem`.* TO tandem_analyst',
      `CREATE USER IF NOT EXISTS \`analyst\` IDENTIFIED WITH sha256_hash BY '${hash}'`,
      `ALTER USER \`analyst\` IDENTIFIED WITH sha256_hash BY '${hash}' SETTINGS readonly = 1`,
      'GRANT tandem_analyst TO `analyst`',
      'ALTER USER `analyst` DEFAULT ROLE tandem_analyst',
    ]);
  });

  it('never puts the password itself into SQL', () => {
    const sql = analystAccessStatements('tandem', { user: 'analyst', password }).join('\n');
    expect(sql).not.toContain(password);
  });

  it.each(["analyst'; DROP TABLE x; --", 'Analyst', 'a-b', ''])('refuses user name %j', (user) => {
    expect(() => analystAccessStatements('tandem', { user, password })).toThrow(
      InvalidAnalystAccessError,
    );
  });

  it('refuses a short password and a bad database name', () => {
    expect(() => analystAccessStatements('tandem', { user: 'a', password: 'short' })).toThrow(
      /at least 12/,
    );
    expect(() => analystAccessStatements('x`; --', { user: 'a', password })).toThrow(
      InvalidDatabaseNameError,
    );
  });
});
