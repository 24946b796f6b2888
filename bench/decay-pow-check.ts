/**
 * `node dist-bench/bench/decay-pow-check.js [--samples N] [--half-life-days D]`: would the
 * intent decay compiled into ClickHouse SQL give the live rules' numbers? Draws touchpoint ages
 * (whole milliseconds, up to two years) the way intentScore turns them into exponents
 * (`ageMs / 86,400,000 / halfLifeDays`), computes `pow(0.5, y)` in chDB and `Math.pow(0.5, y)`
 * in V8, and counts the exponents whose two results differ in any bit (ADR 0006, "Revisited").
 * Seeded: the same options, the same exponents. Uses a fresh temporary chDB directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SeededRandom } from '../apps/cli/src/demo/seeded-random';
import { closeAnalyticsClient, createAnalyticsClient } from '@tandem/analytics';
import { numberOption, parseBenchArgs } from './bench.options';

const DAY_MS = 86_400_000;

async function main(): Promise<void> {
  const { values } = parseBenchArgs({
    samples: { type: 'string' },
    'half-life-days': { type: 'string' },
  });
  const samples = numberOption(values.samples, 'samples', 200_000);
  const halfLife = numberOption(values['half-life-days'], 'half-life-days', 30);
  const random = new SeededRandom(1);
  const exponents = Array.from(
    { length: samples },
    () => Math.floor(random.next() * 2 * 365 * DAY_MS) / DAY_MS / halfLife,
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'tandem-pow-check-'));
  const client = await createAnalyticsClient({ mode: 'embedded', path: dir });
  try {
    // The bits as text: 64-bit integers survive JSON only quoted.
    const result = await client.query({
      query:
        'SELECT arrayMap(y -> toString(reinterpretAsUInt64(pow(0.5, y))), {ys:Array(Float64)})',
      query_params: { ys: exponents },
      format: 'JSONCompactEachRow',
    });
    const [[bits] = [[]]] = await result.json<[string[]]>();
    const view = new DataView(new ArrayBuffer(8));
    let differ = 0;
    const examples: string[] = [];
    exponents.forEach((y, i) => {
      view.setFloat64(0, Math.pow(0.5, y));
      const ours = view.getBigUint64(0).toString();
      if (ours !== bits[i]) {
        differ++;
        if (examples.length < 3) examples.push(`y=${y}: V8 ${ours}, ClickHouse ${bits[i]}`);
      }
    });
    console.log(`pow(0.5, y), half-life ${halfLife} days: ${differ} of ${samples} differ`);
    for (const example of examples) console.log(`  ${example}`);
  } finally {
    await closeAnalyticsClient(client);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
