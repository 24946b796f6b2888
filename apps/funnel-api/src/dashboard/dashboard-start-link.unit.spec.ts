import { dashboardStartLine } from './dashboard-start-link';

describe('dashboardStartLine', () => {
  it('gives a terminal a ready link with the token in the fragment', async () => {
    const line = await dashboardStartLine('http://[::1]:3000', true, async () => 'a.b.c');
    expect(line).toBe('dashboard: http://localhost:3000/dashboard#token=a.b.c');
  });

  it('writes no token into logs a supervisor collects, and says how to mint one', async () => {
    const mint = jest.fn(async () => 'a.b.c');
    const line = await dashboardStartLine('http://127.0.0.1:3000', false, mint);
    expect(line).not.toContain('a.b.c');
    expect(line).not.toContain('#token=');
    expect(line).toContain('http://127.0.0.1:3000/dashboard');
    expect(line).toContain('npm run tandem -- token --role analyst');
    expect(mint).not.toHaveBeenCalled();
  });
});
