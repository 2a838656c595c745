// test/dashboard/evidence.mjs — the page in words: evidence as labelled values (no JSON), one prompt per query that
// merges its findings, decoded tags, short statement labels, quick filters that agree with the findings, and
// pg_insights' own statements hidden until the toggle shows them. Data: mksnap --scenario evidence in database "blog".
//
//   node evidence.mjs       env: PGI_DASH_URL, PGI_DASH_OUT (screenshots), PGI_DASH_SCENARIO (mksnap --describe --scenario evidence)
// Prints "ok - name" / "FAIL - name: why" per case and "evidence: N passed, N failed".
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const URL_ = process.env.PGI_DASH_URL;
const OUT = process.env.PGI_DASH_OUT || fs.mkdtempSync(path.join(os.tmpdir(), 'pgi-evidence-shots-'));
const SC = JSON.parse(fs.readFileSync(process.env.PGI_DASH_SCENARIO, 'utf8'));
const byId = Object.fromEntries(SC.shapes.map((s) => [s.id, s]));
const OWN = ['2101', '2102', '2103', '2104'];
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
await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(URL_).origin });
const page = ctx.pages()[0] || await ctx.newPage();
const problems = [];
page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });

const ids = () => page.$$eval('#rows tr[data-shape-id]', (trs) => trs.map((tr) => tr.dataset.shapeId));
async function listSettled(action) {
  const before = await page.$eval('#list', (t) => t.dataset.ready || '0');
  await action();
  await page.waitForFunction((b) => (document.querySelector('#list').dataset.ready || '0') !== b, before, { timeout: 10000 });
}
async function open(id) {
  await page.click(`#rows tr[data-shape-id="${id}"]`);
  await page.waitForFunction((i) => document.querySelector('#detail:not([hidden]) #d-title') &&
    document.querySelector('#rows tr.current')?.dataset.shapeId === i && document.querySelector('#d-body .verdict'), id);
}
// every <dt>/<dd> pair of every finding box, by kind
const evidence = () => page.$$eval('#d-body .finding', (boxes) => boxes.map((b) => {
  const pairs = {};
  const dts = b.querySelectorAll('dl.evidence dt');
  for (const dt of dts) pairs[dt.textContent] = dt.nextElementSibling.textContent;
  return { kind: b.querySelector('.kind').textContent, pairs };
}));

await page.goto(URL_ + '/');
await page.waitForSelector('#source option', { state: 'attached' });
const label = await page.$$eval('#source option', (os) => os.map((o) => o.textContent).find((t) => t.startsWith('blog — ')));
assert(label, 'no "blog" database in the picker');
await listSettled(() => page.selectOption('#source', { label }));

await test('own statements (insights.*, BEGIN, COMMIT, insights.reset()) are hidden by default, and counted', async () => {
  const got = await ids();
  for (const id of OWN) assert(!got.includes(id), `own statement ${id} listed`);
  const user = SC.shapes.filter((s) => !OWN.includes(s.id)).map((s) => s.id).sort();
  assert(JSON.stringify([...got].sort()) === JSON.stringify(user), `rows ${got} want ${user}`);
  assert(got.includes('2009'), 'a user statement whose text contains "begin" is listed');
  assert((await page.getAttribute('#own-hidden', 'data-hidden')) === '4', 'hidden count');
  assert(/4 statements hidden/.test(await page.textContent('#own-hidden')), 'the page says 4 are hidden');
});

await test('the table filter does not offer insights.* until the toggle is on', async () => {
  const opts = () => page.$$eval('#table option', (os) => os.map((o) => o.value));
  let o = await opts();
  assert(!o.some((t) => t.startsWith('insights.')), `table options: ${o}`);
  assert(o.includes('public.Post'), `public.Post offered: ${o}`);
  await listSettled(() => page.check('#show-own'));
  await page.waitForFunction(() => [...document.querySelectorAll('#table option')].some((x) => x.value === 'insights.queries'));
  const got = await ids();
  for (const id of OWN) assert(got.includes(id), `own statement ${id} not shown with the toggle`);
  assert(got.length === SC.shapes.length, `rows with the toggle: ${got.length}`);
  assert((await page.textContent('#own-hidden')) === '', 'no hidden note while shown');
  await page.screenshot({ path: path.join(OUT, 'evidence-own-shown.png') });
  await listSettled(() => page.uncheck('#show-own'));
  assert(!(await ids()).includes('2101'), 'hidden again');
  o = await opts();
  assert(!o.includes('insights.queries'), 'insights.queries gone from the table filter again');
});

await test('long statements get short readable labels, the full text on hover', async () => {
  const cells = await page.$$eval('#rows tr[data-shape-id]', (trs) => Object.fromEntries(trs.map((tr) => {
    const td = tr.querySelector('td[data-col="query"]');
    return [tr.dataset.shapeId, { text: td.textContent, title: td.title, value: td.dataset.value }];
  })));
  const want = {
    2001: 'SELECT … FROM Post WHERE authorId = $1 (Post.findMany)',
    2003: 'SELECT COUNT(*) FROM (SELECT id FROM Post WHERE authorId = $1) (Post.aggregate)',
    2004: 'SELECT … FROM Post WHERE authorId IN ($1 /*, ... */) (User.findMany)',
    2002: 'SELECT id FROM User WHERE 1=1 (User.findMany)',
    2005: 'SELECT name, price FROM products WHERE sku = $1',
  };
  for (const [id, w] of Object.entries(want)) {
    assert(cells[id].text === w, `label of ${id}: "${cells[id].text}", want "${w}"`);
    assert(cells[id].title === byId[id].text && cells[id].value === byId[id].text, `full text of ${id} on hover`);
  }
  const labels = Object.values(cells).map((c) => c.text.slice(0, 40));
  assert(new Set(labels).size === labels.length, `labels cut at 40 characters collide: ${labels.join(' | ')}`);
});

await test('quick filters agree with the findings: "Repeated" has the 90-call repeated query and the N+1', async () => {
  await listSettled(() => page.click('[data-quick="repeated"]'));
  const got = (await ids()).sort();
  await listSettled(() => page.click('[data-quick="repeated"]'));
  assert(JSON.stringify(got) === JSON.stringify(['2001', '2005']), `repeated: ${got}`);
  await listSettled(() => page.click('[data-quick="high_reads"]'));
  const hr = (await ids()).sort();
  await listSettled(() => page.click('[data-quick="high_reads"]'));
  assert(JSON.stringify(hr) === JSON.stringify(['2001', '2003', '2004', '2006', '2008']), `high reads: ${hr}`);
});

await test('missing index and N+1 evidence as labelled human values', async () => {
  await open('2001');
  const ev = await evidence();
  const mi = ev.find((e) => e.kind === 'Missing index').pairs;
  const n1 = ev.find((e) => e.kind === 'N+1 queries').pairs;
  assert(mi['Planner cost'] === '1,982 → 552 (−72 %) with a hypothetical index on Post(authorId) (hypopg)', `planner: ${mi['Planner cost']}`);
  assert(mi['Rows thrown away'] === '99.5 % of the rows scanned', `removed: ${mi['Rows thrown away']}`);
  assert(mi.Reads === '1,482 blocks (8 kB) read per call', `reads: ${mi.Reads}`);
  assert(mi.Scan === 'Sequential scan of Post (40,000 rows)', `scan: ${mi.Scan}`);
  assert(mi['Rows per scan'] === '200 kept, 39,800 thrown away by the filter', `rows: ${mi['Rows per scan']}`);
  assert(mi.Index === 'Post(authorId)', `index: ${mi.Index}`);
  assert(mi['Foreign key without an index'] === 'Post_authorId_fkey', 'fk');
  assert(mi['Same index serves'].startsWith('this statement and 2 others: SELECT COUNT(*) FROM (SELECT id FROM Post WHERE authorId = $1) (3 calls'),
    `serves: ${mi['Same index serves']}`);
  assert(mi['Measured at detection'] === '60 executions, 1,482 blocks (8 kB) read per call, 5.03 ms per call', `measured: ${mi['Measured at detection']}`);
  assert(n1['Round trips per request'] === '20 on average, 20 at most, one per row of the parent query', `n1: ${n1['Round trips per request']}`);
  assert(n1['Requests recognised by'] === 'one connection running the loop alone, without pauses (no trace id or transaction)', 'grouped_by');
  assert(n1['Loops by how the request was recognised'] === '3 by one connection running alone', 'loops_by');
  assert(n1.Confidence === 'medium (one connection running the loop alone)', 'confidence');
  assert(n1['Time in the loops'] === '302 ms (101 ms per request)', `time: ${n1['Time in the loops']}`);
  assert(/^4 in this window/.test(n1['Executions missed by the collector']), 'events_lost');
  const txt = await page.textContent('#d-body .findings');
  assert(!/backend_burst|removed fraction|grouped by|1482\.0|0\.995/.test(txt), 'internal words or raw numbers in the analysis');
  await page.screenshot({ path: path.join(OUT, 'evidence-n1-detail.png') });
});

await test('one prompt merges the N+1 and the missing index, in words and numbers', async () => {
  const p = await page.textContent('#d-body [data-f="prompt"]');
  const must = [
    'N+1 queries and Missing index', byId['2001'].text, 'Prisma Post.findMany (prisma.post.findMany)',
    'It runs once per row of this parent query (User.findMany):', byId['2002'].text,
    '1,482 blocks (8 kB) read per call', 'Planner cost: 1,982 → 552 (−72 %) with a hypothetical index on Post(authorId)',
    'relationLoadStrategy', '= ANY($1)', 'Problem 1 of 2: N+1 queries (critical)', 'Problem 2 of 2: Missing index (critical)',
    'CREATE INDEX CONCURRENTLY ON public."Post" ("authorId");',
  ];
  for (const m of must) assert(p.includes(m), `prompt lacks "${m}"`);
  assert(p.split('CREATE INDEX CONCURRENTLY').length === 2, 'the shared fix appears once');
  assert(!/\{"|1482\.0|stored prompt|backend_burst/.test(p), 'raw JSON, raw numbers or a stored prompt in the prompt');
  await page.click('#d-body button[data-copy="prompt"]');
  await page.waitForFunction(() => /Copied/.test(document.querySelector('#d-body button[data-copy="prompt"]').textContent));
  assert((await page.evaluate(() => navigator.clipboard.readText())) === p, 'the copied prompt is the one shown');
});

await test('a prismaQuery tag is shown decoded, the traceparent and driver labelled', async () => {
  const tags = await page.$$eval('#d-body ul.tags li', (ls) => ls.map((l) => l.textContent));
  const enc = 'eyJ3aGVyZSI6eyJhdXRob3JJZCI6eyIkdHlwZSI6IlBhcmFtIiwidmFsdWUiOnsibmFtZSI6IiUxIiwidHlwZSI6IkludCJ9fX19';
  const dec = Buffer.from(enc, 'base64url').toString('utf8');
  assert(tags.includes('Prisma query: Post.findMany, arguments ' + dec), `tags: ${tags.join(' | ')}`);
  assert(!tags.some((t) => t.includes(enc)), 'raw base64 shown');
  assert(tags.includes('Database driver: prisma'), `driver: ${tags.join(' | ')}`);
});

await test('a statement the index also serves has the finding, no hedging', async () => {
  for (const id of ['2003', '2004']) {
    await open(id);
    const v = await page.textContent('#d-body .verdict');
    assert(/needs attention/.test(v) && !/keep an eye/.test(v), `verdict of ${id}: ${v}`);
    const ev = await evidence();
    assert(ev.length === 1 && ev[0].kind === 'Missing index', `findings of ${id}`);
    assert(ev[0].pairs['Same index serves'].includes('SELECT … FROM Post WHERE authorId = $1 (60 calls'), `serves of ${id}`);
  }
});

await test('every kind\'s evidence has labels and values, never JSON', async () => {
  const want = {
    2005: { 'Identical executions': '90 with the same arguments', Requests: '90 requests', Within: '1.3 s', 'Database time': '7.20 ms' },
    2006: { 'Deepest page': 'OFFSET 32,000', 'Reads per page': '4 → 880 blocks (8 kB) from the first to the deepest page (×220)',
      'Pages seen': 'OFFSET 0: 4 blocks (8 kB), 0.050 ms (3 calls); OFFSET 32,000: 880 blocks (8 kB), 6.40 ms (3 calls)' },
    2007: { 'Columns returned': '14 (SELECT *)', 'Row width': '812 bytes', 'Data per call': '158.6 kB', 'Future signal': 'share 0.25, source test' },
    2008: { 'Relations read': '2', 'Rows per call': '40,000', 'Data per call': '9.2 MB', Reads: '1,700 blocks (8 kB) read per call' },
  };
  for (const [id, pairs] of Object.entries(want)) {
    await open(id);
    const ev = await evidence();
    assert(ev.length === 1, `findings of ${id}`);
    for (const [k, v] of Object.entries(pairs)) assert(ev[0].pairs[k] === v, `${id} ${k}: "${ev[0].pairs[k]}", want "${v}"`);
  }
});

await test('no "{" in any evidence value, on any finding of the scenario', async () => {
  const bad = [];
  for (const s of SC.shapes.filter((x) => x.finding || x.id === '2001' || x.id === '2003' || x.id === '2004')) {
    await open(s.id);
    for (const dd of await page.$$eval('#d-body dl.evidence dd', (ds) => ds.map((d) => d.textContent))) if (/[{}]/.test(dd)) bad.push(s.id + ': ' + dd);
  }
  assert(bad.length === 0, bad.join(' | '));
});

await test('no console errors', async () => { assert(problems.length === 0, problems.join(' | ')); });

await ctx.close();
fs.rmSync(userDir, { recursive: true, force: true });
console.log(`evidence: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
