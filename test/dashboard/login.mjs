// test/dashboard/login.mjs — the login form of --ui-auth token in Chromium: redirect, wrong token, session cookie, the page behind it.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const URL_ = process.env.PGI_DASH_URL;
const OUT = process.env.PGI_DASH_OUT || os.tmpdir();
const TOKEN = process.env.PGI_DASH_UI_TOKEN;
const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgi-chromium-'));
const ctx = await chromium.launchPersistentContext(userDir, {
  executablePath: process.env.PGI_CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1440, height: 900 },
});
const page = ctx.pages()[0] || await ctx.newPage();
let passed = 0, failed = 0;
async function test(name, fn) {
  try { await fn(); console.log('ok - ' + name); passed++; } catch (e) {
    console.log('FAIL - ' + name + ': ' + e.message.split('\n')[0]); failed++;
    await page.screenshot({ path: path.join(OUT, 'login-failed-' + (passed + failed) + '.png') }).catch(() => {});
  }
}
function assert(c, msg) { if (!c) throw new Error(msg); }

await test('the page without a session opens the login form', async () => {
  await page.goto(URL_ + '/');
  assert(new URL(page.url()).pathname === '/login', 'landed on ' + page.url());
  assert(await page.isVisible('input[name="token"][type="password"]'), 'no password field');
  assert(!(await page.isVisible('#failed')), 'the failure message shows before any attempt');
  await page.screenshot({ path: path.join(OUT, 'login.png') });
});
await test('a wrong token: back on the form, told so, no cookie', async () => {
  await page.fill('input[name="token"]', TOKEN + 'x');
  await Promise.all([page.waitForURL(/\/login#failed$/), page.click('button[type="submit"]')]);
  assert(await page.isVisible('#failed'), 'no failure message');
  assert((await ctx.cookies()).length === 0, 'a cookie was set');
});
await test('the right token: the page, with a session cookie (HttpOnly, SameSite=Strict) that is not the token', async () => {
  await page.fill('input[name="token"]', TOKEN);
  await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.click('button[type="submit"]')]);
  await page.waitForSelector('#source', { state: 'attached' });
  await page.waitForFunction(() => document.querySelector('#status') === null ||
    !/HTTP 401/.test(document.querySelector('#status').textContent), null, { timeout: 5000 });
  const cookies = await ctx.cookies();
  const s = cookies.find((c) => c.name === 'pgi_session');
  assert(s && s.httpOnly && s.sameSite === 'Strict' && /^[0-9a-f]{64}$/.test(s.value) && s.value !== TOKEN,
    'cookie: ' + JSON.stringify(cookies));
  assert(await page.evaluate(() => document.cookie) === '', 'the session is readable by scripts');
  const r = await page.evaluate(async () => (await fetch('api/servers')).status);
  assert(r === 200, 'api/servers with the session: ' + r);
});
await test('the login form at phone width: the field and the button fit', async () => {
  const p2 = await ctx.newPage();
  await p2.setViewportSize({ width: 390, height: 800 });
  await ctx.clearCookies();
  await p2.goto(URL_ + '/login');
  const box = await p2.locator('input[name="token"]').boundingBox();
  const sw = await p2.evaluate(() => document.documentElement.scrollWidth);
  assert(box && box.x >= 0 && box.x + box.width <= 390 && sw <= 390, `field ${JSON.stringify(box)}, scroll width ${sw}`);
  await p2.screenshot({ path: path.join(OUT, 'login-phone.png') });
  await p2.close();
});
await ctx.close();
fs.rmSync(userDir, { recursive: true, force: true });
console.log(`login: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
