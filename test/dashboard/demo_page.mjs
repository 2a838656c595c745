// test/dashboard/demo_page.mjs — after `make demo-serve`: the page shows every open finding of the demo and its analysis.
//
//   node demo_page.mjs      env: PGI_DASH_URL, PGI_DEMO_FINDINGS (JSON [{shape_id, kind, fix_sql}]), PGI_DASH_OUT (screenshots)
// Prints "ok - name" / "FAIL - name: why" per case and "demo-page: N passed, N failed".
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const URL_ = process.env.PGI_DASH_URL;
const OUT = process.env.PGI_DASH_OUT || fs.mkdtempSync(path.join(os.tmpdir(), 'pgi-demo-shots-'));
const FINDINGS = JSON.parse(process.env.PGI_DEMO_FINDINGS);
const KIND = { n_plus_one: 'N+1 queries', missing_index: 'Missing index', offset_pagination: 'Offset pagination' };
let passed = 0, failed = 0;
function assert(cond, msg) { if (!cond) throw new Error(msg); }
async function test(name, fn) {
  try { await fn(); passed++; console.log(`ok - ${name}`); }
  catch (e) { failed++; console.log(`FAIL - ${name}: ${e.message.split('\n')[0]}`); }
}

const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgi-chromium-'));
const ctx = await chromium.launchPersistentContext(userDir, {
  executablePath: process.env.PGI_CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1440, height: 900 }, colorScheme: 'light',
});
const page = ctx.pages()[0] || await ctx.newPage();
await page.goto(URL_);
await page.waitForSelector('#rows tr[data-shape-id]', { timeout: 20000 });

await test('every open finding of the demo is marked in the query list', async () => {
  const flagged = await page.$$eval('#rows tr[data-shape-id]', (trs) => trs
    .filter((tr) => Number(tr.querySelector('td[data-col="findings"]')?.dataset.value || 0) > 0)
    .map((tr) => tr.dataset.shapeId));
  const want = [...new Set(FINDINGS.map((f) => String(f.shape_id)))];
  for (const id of want) assert(flagged.includes(id), `shape ${id} has no findings marker (flagged: ${flagged.join(',')})`);
  await page.screenshot({ path: path.join(OUT, 'demo-list.png') });
});

await test('the N+1 query shows its analysis, fix and prompt', async () => {
  const f = FINDINGS.find((x) => x.kind === 'n_plus_one');
  assert(f, 'the demo produced no n_plus_one finding');
  await page.click(`#rows tr[data-shape-id="${f.shape_id}"]`);
  await page.waitForSelector('#detail:not([hidden]) .finding');
  const text = await page.textContent('#detail');
  assert(text.includes(KIND.n_plus_one), 'no "N+1 queries" analysis');
  if (f.fix_sql) assert(text.includes(f.fix_sql), `fix ${f.fix_sql} not shown`);
  assert(/Post\.findMany|prisma\.post\.findMany/.test(text), 'no Prisma attribution');
  await page.screenshot({ path: path.join(OUT, 'demo-detail.png') });
});

await ctx.close();
console.log(`demo-page: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
