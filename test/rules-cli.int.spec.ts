/**
 * `tandem rules publish|list|apply` against a running API on real engines: a
 * bad draft is refused naming its fields and publishes nothing; a good one is
 * recorded but changes nothing until it is applied.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultFunnelDefinition } from '@tandem/domain';
import { ApiClient } from '../apps/cli/src/api-client';
import { applyRules } from '../apps/cli/src/rules/rules-apply.command';
import { listRules, publishRules } from '../apps/cli/src/rules/rules.command';
import { type FunnelApiFixture, startFunnelApi } from './support/funnel-api.fixture';
import { recordingIo } from './support/rules-io';
import { testApiCredentials } from './support/auth-headers';

jest.setTimeout(120_000);

let dir: string;
let api: FunnelApiFixture;
let client: ApiClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-rules-cli-'));
  api = await startFunnelApi(join(dir, 'chdb'));
  await api.app.listen(0, '127.0.0.1');
  client = new ApiClient(await api.app.getUrl(), undefined, testApiCredentials);
});

afterAll(async () => {
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

it('refuses an invalid draft naming each field, and publishes nothing', async () => {
  const file = join(dir, 'bad.json');
  await writeFile(
    file,
    JSON.stringify({
      ...defaultFunnelDefinition,
      version: 2,
      mql: { ...defaultFunnelDefinition.mql, threshold: 140 },
      sla: { acceptWithinHours: -1 },
    }),
  );
  const lines: string[] = [];
  expect(await publishRules(client, file, (line) => lines.push(line))).toBe(2);
  expect(lines.join('\n')).toMatch(/mql\.threshold: /);
  expect(lines.join('\n')).toMatch(/sla\.acceptWithinHours: /);
  const listed: string[] = [];
  await listRules(client, (line) => listed.push(line));
  expect(listed.filter((line) => /^[* ] v\d/.test(line))).toEqual([
    expect.stringMatching(/^\* v1 /),
  ]);
});

it('publishes the next version, which is in force only once applied; a wrong number is refused', async () => {
  const file = join(dir, 'v2.json');
  await writeFile(
    file,
    JSON.stringify({ ...defaultFunnelDefinition, version: 2, name: 'Stricter MQL' }),
  );
  const lines: string[] = [];
  expect(await publishRules(client, file, (line) => lines.push(line))).toBe(0);
  expect(lines).toEqual([
    `published funnel definition version 2; nothing changes until you apply it: tandem rules what-if ${file} to compare, tandem rules apply 2 to switch`,
  ]);
  // The same file again is a publish that happened before: refused, saying so.
  expect(await publishRules(client, file, (line) => lines.push(line))).toBe(1);
  expect(lines.at(-1)).toMatch(
    /refused \(422\): version 2 is already published with this very definition/,
  );
  // Another definition under a number already taken is the wrong number.
  const other = join(dir, 'v2-other.json');
  await writeFile(
    other,
    JSON.stringify({ ...defaultFunnelDefinition, version: 2, name: 'Stricter MQL, again' }),
  );
  expect(await publishRules(client, other, (line) => lines.push(line))).toBe(1);
  expect(lines.at(-1)).toMatch(/refused \(422\): version must be 3/);
  const versionsOf = async () => {
    const listed: string[] = [];
    await listRules(client, (line) => listed.push(line));
    return listed.filter((line) => /^[* ] v\d/.test(line));
  };
  expect(await versionsOf()).toEqual([
    expect.stringMatching(/^\* v1 /),
    expect.stringMatching(/^ {2}v2 .* Stricter MQL$/),
  ]);
  expect(await applyRules(client, 2, recordingIo())).toBe(0);
  expect(await versionsOf()).toEqual([
    expect.stringMatching(/^ {2}v1 /),
    expect.stringMatching(/^\* v2 .* Stricter MQL$/),
  ]);
});
