/**
 * The line `npm start` prints about the dashboard. At a terminal it carries a ready link with a
 * read-only (analyst) token for a working day, in the fragment, which browsers never send. When
 * stdout is not a terminal (a supervisor, systemd, a container collecting logs) it carries no
 * token: a credential written into collected logs outlives the session that needed it. Then it
 * names the CLI command that mints one instead.
 */
export async function dashboardStartLine(
  url: string,
  atTerminal: boolean,
  mintAnalystToken: () => Promise<string>,
): Promise<string> {
  const dashboard = `${url.replace('[::1]', 'localhost')}/dashboard`;
  if (!atTerminal) {
    return `dashboard: ${dashboard} (a link with a token: npm run tandem -- token --role analyst --actor you@example.com --dashboard)`;
  }
  return `dashboard: ${dashboard}#token=${await mintAnalystToken()}`;
}
