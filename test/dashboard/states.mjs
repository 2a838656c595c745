// test/dashboard/states.mjs — the page's loading, empty and error states, against a dashboard of its own that this test stops.
//
//   node states.mjs     env: PGI_DASH_URL (a dashboard on an empty repository), PGI_DASH_PID (its process id),
//                       PGI_DASH_KEY (API key file), PGI_DASH_SNAPDIR (mksnap files app-0.pb ..), PGI_DASH_SNAPS,
//                       PGI_DASH_OUT (screenshots)
// Prints "ok - name" / "FAIL - name: why" per case and "states: N passed, N failed".
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const URL_ = process.env.PGI_DASH_URL;
const OUT = process.env.PGI_DASH_OUT || fs.mkdtempSync(path.join(os.tmpdir(), 'pgi-states-shots-'));
const KEY = fs.readFileSync(process.env.PGI_DASH_KEY, 'utf8').trim();
const NSNAP = Number(process.env.PGI_DASH_SNAPS || 30);
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
const settled = () => page.waitForFunction(() => document.querySelector('#list').dataset.ready, null, { timeout: 10000 });

await test('empty repository: the page says no snapshot arrived and how to send one; pager and playback off', async () => {
  await page.goto(URL_ + '/');
  await settled();
  const t = await page.textContent('#rows');
  assert(/No snapshots received yet/.test(t) && /pg_insights_collector/.test(t), `list: ${t}`);
  assert(/No data yet/.test(await page.textContent('#chart-latency .plot-msg')), 'chart message');
  for (const b of ['#page-prev', '#page-next', '#pb-play', '#pb-next']) assert(await page.isDisabled(b), `${b} enabled`);
  await page.screenshot({ path: path.join(OUT, 'state-empty.png') });
});

// real snapshots into the real dashboard, as a collector would send them
for (let k = 0; k < NSNAP; k++) {
  const r = await fetch(URL_ + '/v1/snapshots', { method: 'POST', body: fs.readFileSync(path.join(process.env.PGI_DASH_SNAPDIR, `app-${k}.pb`)),
    headers: { Authorization: 'Bearer ' + KEY, 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'deflate' } });
  if (r.status !== 200) { console.log(`FAIL - states: snapshot ${k} HTTP ${r.status}`); failed++; break; }
}

await test('first load: "Loading" where the list and charts will be, until the API answers', async () => {
  const p2 = await ctx.newPage();
  let release;
  const gate = new Promise((r) => { release = r; });
  // the real API's answers, held back until the loading state was seen
  await p2.route('**/api/**', async (route) => { await gate; await route.continue(); });
  await p2.goto(URL_ + '/');
  await p2.waitForSelector('#rows tr.empty');
  const t = await p2.textContent('#rows');
  const c = await p2.textContent('#chart-qps .plot-msg');
  const tile = await p2.textContent('[data-tile="avg_ms"] .v');
  release();
  await p2.waitForSelector('#rows tr[data-shape-id]');
  await p2.close();
  assert(/Loading the query list/.test(t), `list while loading: ${t}`);
  assert(/Loading/.test(c), `chart while loading: ${c}`);
  assert(tile === '…', `tile while loading: ${tile}`);
});

await test('the dashboard stops: rows kept but marked stale with what failed, pager off, charts and tiles say so', async () => {
  await page.click('[data-range="fit"]');
  await page.waitForSelector('#rows tr[data-shape-id]');
  const n = (await page.$$('#rows tr[data-shape-id]')).length;
  process.kill(Number(process.env.PGI_DASH_PID), 'SIGTERM');
  for (let i = 0; i < 100; i++) {
    try { await fetch(URL_ + '/api/health'); } catch (e) { break; }
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.click('[data-range="3600"]');
  await page.waitForFunction(() => document.querySelector('#list').dataset.error === '1', null, { timeout: 10000 });
  assert((await page.$$('#rows tr[data-shape-id]')).length === n, 'old rows kept');
  assert(await page.$eval('#rows', (b) => b.classList.contains('stale')), 'old rows not marked stale');
  const err = await page.textContent('#list-error');
  assert(await page.isVisible('#list-error') && /Could not load/.test(err) && /did not answer/.test(err) && /out of date/.test(err), `error: ${err}`);
  for (const b of ['#page-prev', '#page-next', '#pb-play']) assert(await page.isDisabled(b), `${b} enabled`);
  const cm = await page.textContent('#chart-latency .plot-msg');
  assert(await page.isVisible('#chart-latency .plot-msg') && /Could not load the charts/.test(cm), `chart: ${cm}`);
  assert(await page.$eval('#tiles', (t) => t.classList.contains('stale')), 'tiles not marked stale');
  assert((await page.textContent('[data-tile="qps"] .v')) === '–', 'tile value cleared');
  assert(/Not updated/.test(await page.textContent('#status')), 'status line');
  await page.screenshot({ path: path.join(OUT, 'state-error.png') });
});

await ctx.close();
fs.rmSync(userDir, { recursive: true, force: true });
console.log(`states: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
