// bench/dashboard-client.mjs — the dashboard benchmark's client side: snapshot POST rate, and time to first render of the list in Chromium.
//
//   node dashboard-client.mjs ingest URL KEYFILE CONCURRENCY FILE...
//   node dashboard-client.mjs render URL RUNS
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [mode, url, ...rest] = process.argv.slice(2);

if (mode === 'ingest') {
  const [keyFile, conc, ...files] = rest;
  const key = fs.readFileSync(keyFile, 'utf8').trim();
  const bodies = files.map((f) => fs.readFileSync(f));
  let next = 0, bytes = 0;
  const t0 = performance.now();
  async function worker() {
    while (next < bodies.length) {
      const b = bodies[next++];
      bytes += b.length;
      const r = await fetch(url + '/v1/snapshots', { method: 'POST', body: b,
        headers: { Authorization: 'Bearer ' + key, 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'deflate' } });
      if (r.status !== 200) throw new Error('HTTP ' + r.status + ' ' + await r.text());
      await r.arrayBuffer();
    }
  }
  await Promise.all(Array.from({ length: Number(conc) }, worker));
  const s = (performance.now() - t0) / 1000;
  console.log(`ingest: ${bodies.length} snapshots (1000 shapes each, ${(bytes / bodies.length / 1024).toFixed(0)} KiB deflated) ` +
    `with ${conc} client(s): ${(bodies.length / s).toFixed(1)} snapshots/s, ${(bodies.length * 1000 / s).toFixed(0)} shape rows/s`);
} else if (mode === 'render') {
  const { chromium } = await import(process.env.PGI_PLAYWRIGHT);
  const runs = Number(rest[0] || 3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgi-bench-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1440, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = Date.now();
    await page.goto(url + '/?run=' + i);
    await page.waitForSelector('#rows tr[data-shape-id]');
    times.push(Date.now() - t0);
  }
  const count = await page.textContent('#list-count');
  const t1 = Date.now();
  await page.click('th[data-sort="p95_ms"] button');
  await page.waitForFunction(() => document.querySelector('#list').dataset.ready !== undefined &&
    document.querySelector('th[data-sort="p95_ms"]').getAttribute('aria-sort') !== 'none');
  await page.waitForLoadState('networkidle');
  const sortMs = Date.now() - t1;
  await ctx.close();
  fs.rmSync(dir, { recursive: true, force: true });
  times.sort((a, b) => a - b);
  console.log(`render: first render of the list (${count}, 100 rows a page) in Chromium: ` +
    `median ${times[Math.floor(times.length / 2)]} ms, runs ${times.join(', ')} ms; re-sort by p95: ${sortMs} ms`);
}
