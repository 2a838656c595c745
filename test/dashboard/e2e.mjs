// test/dashboard/e2e.mjs — end-to-end page check: the workload shape shipped by the real collector shows in the list with its executions.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const URL_ = process.env.PGI_DASH_URL;
const OUT = process.env.PGI_DASH_OUT || os.tmpdir();
const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgi-chromium-'));
const ctx = await chromium.launchPersistentContext(userDir, {
  executablePath: process.env.PGI_CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1440, height: 900 },
});
const page = ctx.pages()[0] || await ctx.newPage();
let code = 0;
try {
  await page.goto(URL_ + '/');
  await page.waitForSelector('#source option', { state: 'attached' });
  const label = await page.$$eval('#source option', (os) => os.map((o) => o.textContent).find((t) => t.startsWith('shop — ')));
  if (!label) throw new Error('no "shop" database in the picker');
  await page.selectOption('#source', { label });
  await page.fill('#q', 'owner');
  await page.waitForFunction(() => [...document.querySelectorAll('#rows tr[data-shape-id] td[data-col="query"]')]
    .some((td) => /FROM items WHERE owner/.test(td.textContent)), null, { timeout: 10000 });
  const calls = await page.$$eval('#rows tr[data-shape-id]', (trs) => trs.filter((tr) => /FROM items WHERE owner/
    .test(tr.querySelector('td[data-col="query"]').textContent)).map((tr) => tr.querySelector('td[data-col="calls"]').dataset.value));
  if (calls.length !== 1 || calls[0] !== '200') throw new Error('executions on the page: ' + calls.join(','));
  await page.click('#rows tr[data-shape-id]');
  await page.waitForSelector('#detail:not([hidden]) .verdict');
  await page.screenshot({ path: path.join(OUT, 'e2e.png') });
  console.log('ok - e2e page shows the workload shape with 200 executions');
  // the sleep's detail: its wait as a labelled bar with its share; the failing INSERT's SQLSTATE
  // open the detail of the row whose statement matches, and wait until the detail shows that statement
  async function openDetail(q, re) {
    await page.click('#d-close');
    await page.waitForSelector('#detail', { state: 'hidden' });
    await page.fill('#q', q);
    const row = page.locator('#rows tr[data-shape-id]', { hasText: q });
    await row.first().waitFor({ timeout: 10000 });
    await row.first().click();
    await page.waitForFunction((src) => new RegExp(src).test((document.querySelector('#d-body [data-f="sql"]') || {}).textContent || ''),
      re.source, { timeout: 10000 });
  }
  await openDetail('e2e_nap', /pg_sleep/);
  await page.waitForSelector('#detail:not([hidden]) [data-f="waits"] .hrow[data-wait="Timeout:PgSleep"]', { timeout: 10000 });
  const wait = await page.$eval('[data-f="waits"] .hrow[data-wait="Timeout:PgSleep"]', (r) => r.textContent);
  if (!/^Timeout:PgSleep\s*\d+(\.\d)? % \([\d,]+ samples\)$/.test(wait)) throw new Error('wait row: ' + wait);
  await page.screenshot({ path: path.join(OUT, 'e2e-waits.png') });
  await openDetail('INSERT INTO uv', /INSERT INTO uv/);
  await page.waitForSelector('#detail:not([hidden]) [data-f="errors"] li[data-sqlstate="23505"]', { timeout: 10000 });
  const err = await page.$eval('[data-f="errors"] li[data-sqlstate="23505"]', (li) => li.textContent);
  if (!/^23505 — 3 failed executions, last /.test(err)) throw new Error('error row: ' + err);
  console.log('ok - e2e detail shows the wait events (Timeout:PgSleep with its share) and the errors (23505 x 3)');
} catch (e) {
  console.log('FAIL - e2e page: ' + e.message.split('\n')[0]);
  await page.screenshot({ path: path.join(OUT, 'e2e-failed.png') }).catch(() => {});
  code = 1;
}
await ctx.close();
fs.rmSync(userDir, { recursive: true, force: true });
process.exit(code);
