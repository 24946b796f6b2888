import { demoDashboardLine } from './demo.command';

describe("the demo's dashboard line", () => {
  it('carries a token in the fragment when it may mint one (a terminal, the embedded key)', async () => {
    const line = await demoDashboardLine('http://127.0.0.1:3000', async () => 'a.b.c');
    expect(line).toBe(
      'Dashboard: run `npm start` and open http://127.0.0.1:3000/dashboard#token=a.b.c',
    );
  });

  it('carries no token otherwise, and names the command that makes one', async () => {
    const line = await demoDashboardLine('http://127.0.0.1:3000', null);
    expect(line).not.toContain('token=');
    expect(line).toContain('http://127.0.0.1:3000/dashboard ');
    expect(line).toContain('npm run tandem -- token --role analyst');
  });
});
