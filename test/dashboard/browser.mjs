// test/dashboard/browser.mjs — browser tests of the dashboard page: playwright-core drives the system Chromium and checks the page against the snapshots sent.
//
//   node browser.mjs            env: PGI_DASH_URL, PGI_DASH_OUT (screenshots), PGI_DASH_SCENARIO (mksnap --describe JSON),
//                               PGI_DASH_EVIL (the same for the XSS scenario), PGI_DASH_SNAPS (snapshots sent, index 0..N-1)
// Prints "ok - name" / "FAIL - name: why" per case and "browser: N passed, N failed".
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const URL_ = process.env.PGI_DASH_URL;
const OUT = process.env.PGI_DASH_OUT || fs.mkdtempSync(path.join(os.tmpdir(), 'pgi-dash-shots-'));
const SC = JSON.parse(fs.readFileSync(process.env.PGI_DASH_SCENARIO, 'utf8'));
const EVIL = JSON.parse(fs.readFileSync(process.env.PGI_DASH_EVIL, 'utf8'));
const NSNAP = Number(process.env.PGI_DASH_SNAPS || 30);
let passed = 0, failed = 0;

function assert(cond, msg) { if (!cond) throw new Error(msg); }
function near(a, b, what) { assert(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)), `${what}: got ${a}, want ${b}`); }
async function test(name, fn) {
  try { await fn(); passed++; console.log(`ok - ${name}`); }
  catch (e) { failed++; console.log(`FAIL - ${name}: ${e.message.split('\n')[0]}`); }
}

// expected numbers, from the same scenario mksnap wrote: snapshot k carries calls = base * (k + 1)
const factor = (NSNAP * (NSNAP + 1)) / 2;
const exp = {};
for (const s of SC.shapes) {
  const calls = s.calls * factor;
  exp[s.id] = { ...s, total_calls: calls, total_ms: calls * s.avg_ms, reads: calls * s.reads_per_call, rows: calls * s.rows_per_call };
}
function quantile(s, callsTotal, q) {
  // the dashboard's rule: linear inside the bucket; 90% of calls in hb, 10% in hb + 1
  const h = new Array(20).fill(0);
  let c = 0;
  for (let k = 0; k < NSNAP; k++) { const n = s.calls * (k + 1); h[s.hb] += n - Math.floor(n / 10); h[s.hb + 1] += Math.floor(n / 10); c += n; }
  const target = q * c;
  let acc = 0;
  for (let i = 0; i < h.length; i++) {
    if (h[i] > 0 && acc + h[i] >= target) {
      const lo = i === 0 ? 0 : SC.bounds[i - 1], hi = SC.bounds[i];
      return hi == null ? lo : lo + (hi - lo) * ((target - acc) / h[i]);
    }
    acc += h[i];
  }
  return null;
}

const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgi-chromium-'));
const ctx = await chromium.launchPersistentContext(userDir, {
  executablePath: process.env.PGI_CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1440, height: 900 }, colorScheme: 'light',
});
await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(URL_).origin });
const page = ctx.pages()[0] || await ctx.newPage();
const problems = [];
let dialogs = 0;
page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
page.on('dialog', async (d) => { dialogs++; await d.dismiss(); });
page.on('request', (r) => { if (!r.url().startsWith(new URL(URL_).origin)) problems.push('external request: ' + r.url()); });

async function rows() {
  return page.$$eval('#rows tr[data-shape-id]', (trs) => trs.map((tr) => {
    const o = { id: tr.dataset.shapeId };
    for (const td of tr.querySelectorAll('td')) o[td.dataset.col] = td.dataset.value === undefined ? td.textContent : td.dataset.value;
    o.text = {};
    for (const td of tr.querySelectorAll('td')) o.text[td.dataset.col] = td.textContent;
    return o;
  }));
}
async function listSettled(action) {
  const before = await page.$eval('#list', (t) => t.dataset.ready || '0');
  await action();
  await page.waitForFunction((b) => (document.querySelector('#list').dataset.ready || '0') !== b, before, { timeout: 10000 });
}
const num = (v) => (v === '' || v === 'null' || v == null ? null : Number(v));

const t0 = Date.now();
await page.goto(URL_ + '/');
await page.waitForSelector('#rows tr[data-shape-id]');
console.log(`# first render of the list: ${Date.now() - t0} ms`);

await test('list shows every shape with the executions sent', async () => {
  const r = await rows();
  assert(r.length === SC.shapes.length, `rows: ${r.length}, want ${SC.shapes.length}`);
  for (const row of r) {
    const e = exp[row.id];
    assert(e, `unexpected shape ${row.id}`);
    near(num(row.calls), e.total_calls, `executions of ${row.id}`);
    assert(row.text.calls === e.total_calls.toLocaleString('en-US'), `executions text of ${row.id}: ${row.text.calls}`);
    near(num(row.reads), e.reads, `reads of ${row.id}`);
    near(num(row.avg_ms), e.avg_ms, `avg latency of ${row.id}`);
    near(num(row.reads_per_call), e.reads_per_call, `reads/call of ${row.id}`);
    near(num(row.rows), e.rows, `rows of ${row.id}`);
    near(num(row.p95_ms), quantile(e, e.total_calls, 0.95), `p95 of ${row.id}`);
    assert(row.model_action === (e.model ? `${e.model}.${e.action}` : '') || (!e.model && row.model_action === 'null'),
      `Prisma model.action of ${row.id}: ${row.model_action}`);
    assert(num(row.findings) === (e.finding ? 1 : 0), `findings marker of ${row.id}`);
  }
  await page.screenshot({ path: path.join(OUT, 'list.png') });
});

await test('default order is total time, descending', async () => {
  const got = (await rows()).map((r) => r.id);
  const want = Object.values(exp).sort((a, b) => b.total_ms - a.total_ms || Number(a.id) - Number(b.id)).map((e) => e.id);
  assert(JSON.stringify(got) === JSON.stringify(want), `order ${got} want ${want}`);
});

await test('sorting by executions, both directions', async () => {
  await listSettled(() => page.click('th[data-sort="calls"] button'));
  let got = (await rows()).map((r) => r.id);
  let want = Object.values(exp).sort((a, b) => b.total_calls - a.total_calls).map((e) => e.id);
  assert(JSON.stringify(got) === JSON.stringify(want), `desc ${got} want ${want}`);
  assert(await page.getAttribute('th[data-sort="calls"]', 'aria-sort') === 'descending', 'aria-sort');
  await listSettled(() => page.click('th[data-sort="calls"] button'));
  got = (await rows()).map((r) => r.id);
  assert(JSON.stringify(got) === JSON.stringify(want.reverse()), `asc ${got}`);
});

await test('every column sorts (server-side order matches the values)', async () => {
  const cols = await page.$$eval('#list th[data-sort]', (ths) => ths.map((t) => t.dataset.sort));
  for (const col of cols) {
    const cur = await page.getAttribute(`th[data-sort="${col}"]`, 'aria-sort');
    await listSettled(() => page.click(`th[data-sort="${col}"] button`));
    const dir = await page.getAttribute(`th[data-sort="${col}"]`, 'aria-sort');
    assert(dir !== 'none' && dir !== cur, `aria-sort of ${col} did not change`);
    const vals = (await rows()).map((r) => r[col]);
    for (let i = 1; i < vals.length; i++) {
      const a = vals[i - 1], b = vals[i];
      const numeric = !['query', 'model_action'].includes(col);
      if (a === 'null' || b === 'null' || a === '' || b === '') continue;
      const cmp = numeric ? Number(a) - Number(b) : (a < b ? -1 : a > b ? 1 : 0);
      assert(dir === 'ascending' ? cmp <= 0 : cmp >= 0, `${col} ${dir}: ${a} before ${b}`);
    }
  }
});

await test('filter by table', async () => {
  await listSettled(() => page.selectOption('#table', 'orders'));
  const got = (await rows()).map((r) => r.id).sort();
  const want = SC.shapes.filter((s) => s.tables.split(',').includes('orders')).map((s) => s.id).sort();
  assert(JSON.stringify(got) === JSON.stringify(want), `orders: ${got} want ${want}`);
  await listSettled(() => page.selectOption('#table', ''));
});

await test('quick filters: has findings, high reads, repeated', async () => {
  const check = async (q, pred) => {
    await listSettled(() => page.click(`[data-quick="${q}"]`));
    const got = (await rows()).map((r) => r.id).sort();
    const want = Object.values(exp).filter(pred).map((e) => e.id).sort();
    assert(JSON.stringify(got) === JSON.stringify(want), `${q}: ${got} want ${want}`);
    await listSettled(() => page.click(`[data-quick="${q}"]`));
  };
  await check('findings', (e) => e.finding);
  await check('high_reads', (e) => e.reads_per_call >= 100);
  await check('repeated', (e) => e.total_calls >= 100);
  await check('recent', () => true);
});

await test('text search', async () => {
  await listSettled(() => page.fill('#q', 'posts'));
  const got = (await rows()).map((r) => r.id);
  const want = SC.shapes.filter((s) => s.text.toLowerCase().includes('posts')).map((s) => s.id);
  assert(JSON.stringify(got) === JSON.stringify(want), `search: ${got} want ${want}`);
  await listSettled(() => page.fill('#q', ''));
});

const withFinding = SC.shapes.find((s) => s.finding === 'missing_index');
await test('query detail: stats, analysis, fix and impact', async () => {
  const e = exp[withFinding.id];
  await page.click(`#rows tr[data-shape-id="${withFinding.id}"]`);
  await page.waitForSelector('#detail:not([hidden]) .finding');
  const v = async (f) => Number(await page.getAttribute(`#d-body [data-f="${f}"]`, 'data-value'));
  near(await v('calls'), e.total_calls, 'executions');
  near(await v('avg_ms'), e.avg_ms, 'avg latency');
  near(await v('reads_per_call'), e.reads_per_call, 'reads/call');
  near(await v('rows_per_call'), e.rows_per_call, 'rows/call');
  near(await v('p95_ms'), quantile(e, e.total_calls, 0.95), 'p95');
  assert((await page.textContent('#d-body [data-f="tables"]')) === e.tables, 'tables');
  assert((await page.textContent('#d-body .fix')) === e.fix_sql, 'fix_sql');
  assert((await page.textContent('#d-body .impact')) === e.impact, 'expected impact');
  assert((await page.textContent('#d-body [data-f="sql"]')) === e.text, 'full SQL');
  assert(/needs attention/.test(await page.textContent('#d-body .verdict')), 'verdict');
  assert((await page.$$('#d-body .hrow')).length >= 2, 'histogram rows');
  assert(await page.$('#d-body [data-f="shape-chart"] canvas'), 'shape chart');
  await page.screenshot({ path: path.join(OUT, 'detail-finding.png') });
});

await test('copy prompt puts the prompt text on the clipboard', async () => {
  await page.click('#d-body button[data-copy="prompt"]');
  await page.waitForFunction(() => /Copied/.test(document.querySelector('#d-body button[data-copy="prompt"]').textContent));
  const clip = await page.evaluate(() => navigator.clipboard.readText());
  assert(clip === await page.textContent('#d-body [data-f="prompt"]') && clip.includes(withFinding.text) && clip.includes(withFinding.fix_sql),
    `clipboard: ${JSON.stringify(clip).slice(0, 80)}`);
});

await test('attribution: Prisma model.action and decoded shape, route/controller', async () => {
  const prisma = SC.shapes.find((s) => s.model && s.finding);
  await page.click(`#rows tr[data-shape-id="${prisma.id}"]`);
  await page.waitForFunction((id) => document.querySelector('#d-title').textContent.includes(id), prisma.id);
  assert((await page.textContent('#d-body .model-action')) === `${prisma.model}.${prisma.action}`, 'model.action');
  assert(/Decoded Prisma query shape/.test(await page.textContent('#d-body [data-f="attribution"]')), 'decoded shape');
  const routed = SC.shapes.find((s) => s.route && !s.model && !s.finding);
  await page.click(`#rows tr[data-shape-id="${routed.id}"]`);
  await page.waitForFunction((id) => document.querySelector('#d-title').textContent.includes(id), routed.id);
  assert((await page.textContent('#d-body code.route')).includes(routed.route), 'route');
});

await test('a query without finding says so and why it looks fine', async () => {
  const fine = SC.shapes.find((s) => !s.finding && s.reads_per_call < 100 && s.avg_ms < 50);
  await page.click(`#rows tr[data-shape-id="${fine.id}"]`);
  await page.waitForFunction((id) => document.querySelector('#d-title').textContent.includes(id), fine.id);
  const t = await page.textContent('#d-body .verdict');
  assert(/No finding/.test(t) && /looks fine/.test(t) && /blocks per call/.test(t), `verdict: ${t}`);
  await page.screenshot({ path: path.join(OUT, 'detail-fine.png') });
});

await test('keyboard: Enter opens a row, Escape closes the detail', async () => {
  await page.keyboard.press('Escape');
  await page.waitForSelector('#detail', { state: 'hidden' });
  await page.focus('#rows tr[data-shape-id]');
  await page.keyboard.press('ArrowDown');
  const id = await page.evaluate(() => document.activeElement.dataset.shapeId);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#detail:not([hidden])');
  await page.waitForFunction((i) => document.querySelector('#d-title').textContent.includes(i), id);
  await page.keyboard.press('Escape');
  await page.waitForSelector('#detail', { state: 'hidden' });
});

const series = await page.evaluate(async () => {
  const src = (await (await fetch('api/servers')).json()).servers.find((s) => s.db === 'app');
  const q = new URLSearchParams({ server: src.server, db: src.db, from: Date.now() - 3600e3, to: Date.now() });
  return (await (await fetch('api/timeseries?' + q)).json()).series;
});
const sumBase = SC.shapes.reduce((a, s) => a + s.calls, 0);
const avgAll = SC.shapes.reduce((a, s) => a + s.calls * s.avg_ms, 0) / sumBase;

await test('hover shows the exact timestamp and value', async () => {
  const box = await page.locator('#chart-latency .u-over').boundingBox();
  await page.mouse.move(box.x + box.width - 3, box.y + box.height / 2);
  await page.waitForFunction(() => document.querySelector('#lat-hover').textContent.length > 0);
  const txt = await page.textContent('#lat-hover');
  const t = Number(await page.getAttribute('#lat-hover', 'data-t'));
  const v = Number(await page.getAttribute('#lat-hover', 'data-value'));
  assert(series.t.includes(t), `hover time ${t} is not a bucket`);
  const iso = new Date(t).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
  assert(txt.startsWith(iso), `hover text "${txt}" does not start with ${iso}`);
  near(v, Math.round(avgAll * 1e4) / 1e4, 'hover value');
  assert(txt.includes(v >= 1 ? v.toFixed(2) : v.toFixed(3)), `hover text "${txt}" lacks the value`);
  await page.screenshot({ path: path.join(OUT, 'hover.png') });
  await page.mouse.move(5, 5);
});

await test('playback steps through buckets and the list follows', async () => {
  assert(series.t.length === NSNAP, `buckets: ${series.t.length}, want ${NSNAP}`);
  const probe = SC.shapes[0];
  for (const k of [0, 1]) {
    await listSettled(() => page.click('#pb-next'));
    const b = Number(await page.getAttribute('#pb-label', 'data-bucket'));
    assert(b === series.t[k], `selected bucket ${b}, want ${series.t[k]}`);
    const row = (await rows()).find((r) => r.id === probe.id);
    near(num(row.calls), probe.calls * (k + 1), `executions of ${probe.id} in bucket ${k}`);
  }
  await page.click('#pb-play');
  await page.waitForFunction((t) => Number(document.querySelector('#pb-label').dataset.bucket) > t, series.t[1], { timeout: 5000 });
  await page.click('#pb-play');
  await page.screenshot({ path: path.join(OUT, 'playback.png') });
  await listSettled(() => page.click('#pb-all'));
  assert((await page.textContent('#pb-label')) === 'Whole range', 'back to the whole range');
});

await test('drag to zoom narrows the range', async () => {
  const before = await page.textContent('#range-label');
  const box = await page.locator('#chart-qps .u-over').boundingBox();
  await page.mouse.move(box.x + box.width * 0.90, box.y + 40);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.99, box.y + 40, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction((b) => document.querySelector('#range-label').textContent !== b, before);
  assert(await page.isVisible('#zoom-reset'), 'reset zoom button');
  await page.click('#zoom-reset');
  await page.waitForSelector('#zoom-reset', { state: 'hidden' });
});

await test('time range buttons and dark theme', async () => {
  await listSettled(() => page.click('[data-range="900"]'));
  assert((await rows()).length === SC.shapes.length, '15 min shows the shapes');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(300);
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert(bg !== 'rgb(246, 247, 249)', `dark background: ${bg}`);
  await page.click(`#rows tr[data-shape-id="${withFinding.id}"]`);
  await page.waitForSelector('#detail:not([hidden]) .finding');
  await page.screenshot({ path: path.join(OUT, 'dark-detail.png') });
  await page.keyboard.press('Escape');
  await page.emulateMedia({ colorScheme: 'light' });
});

await test('XSS: hostile statement text and tags are shown inert', async () => {
  const evil = EVIL.shapes[0];
  const label = await page.$$eval('#source option', (os) => os.map((o) => o.textContent).find((t) => t.includes('/ evil')));
  assert(label, 'evil source in the picker');
  await listSettled(() => page.selectOption('#source', { label }));
  const r = await rows();
  assert(r.length === 1 && r[0].query === evil.text, 'statement text shown verbatim');
  await page.click(`#rows tr[data-shape-id="${evil.id}"]`);
  await page.waitForSelector('#detail:not([hidden]) .finding');
  assert((await page.textContent('#d-body [data-f="sql"]')) === evil.text, 'full SQL verbatim');
  const prompt = await page.textContent('#d-body [data-f="prompt"]');
  assert(prompt.includes(evil.text) && prompt.includes(evil.fix_sql), 'prompt holds the text and fix verbatim');
  assert((await page.textContent('#d-body .fix')) === evil.fix_sql, 'fix verbatim');
  assert((await page.textContent('#d-body .model-action')) === `${evil.model}.${evil.action}`, 'model.action verbatim');
  const counts = await page.evaluate(() => ({
    // the page's own scripts only: any other <script> was injected
    scripts: [...document.querySelectorAll('script')].filter((x) => !/\/(vendor\/uPlot\.iife\.min|evidence|app)\.js$/.test(x.src)).length,
    img: document.querySelectorAll('img').length,
    b: document.querySelectorAll('b').length, svg: document.querySelectorAll('svg').length,
  }));
  assert(counts.scripts === 0 && counts.img === 0 && counts.b === 0 && counts.svg === 0, `injected elements: ${JSON.stringify(counts)}`);
  await page.waitForTimeout(300);
  assert(dialogs === 0, `${dialogs} alert dialogs opened`);
  await page.screenshot({ path: path.join(OUT, 'xss.png') });
});

await test('no console errors, CSP violations or external requests', async () => {
  assert(problems.length === 0, problems.join(' | '));
});

await ctx.close();
fs.rmSync(userDir, { recursive: true, force: true });
console.log(`# screenshots: ${OUT}`);
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
