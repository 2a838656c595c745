// dashboard/web/app.js — the Query Insights page: state, API calls, range, tiles, charts (uPlot), playback, query list, query detail. Untrusted text only ever goes through textContent.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const PAGE = 100;
  const KINDS = {
    n_plus_one: 'N+1 queries', missing_index: 'Missing index', offset_pagination: 'Offset pagination',
    repeated_query: 'Repeated query', over_fetching: 'Over-fetching', large_nested_read: 'Large nested read',
    frequent_errors: 'Frequent errors',
  };
  const QUICK_NAMES = { repeated: 'Repeated', high_reads: 'High reads', recent: 'Recent', findings: 'Has findings' };
  const MIN_FIT_MS = 60000;				// a fitted range spans at least a minute
  const MAX_STEPS = 60;					// playback: at most this many steps over the range
  const STEP_SIZES = [10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200, 86400];	// seconds
  const BLOCK_BYTES = 8192;

  const state = {
    sources: [], source: null,
    rangeSec: 'fit', custom: null, zoom: null,
    from: 0, to: 0,
    series: null, plot: null, summary: null, steps: [], step: -1, timer: null,
    sort: 'total_ms', dir: 'desc', table: '', q: '', quick: new Set(), offset: 0, total: 0,
    detail: null, charts: {}, listSeq: 0, detailSeq: 0, listOk: 0,
  };

  // ---- formatting ----
  const nf = new Intl.NumberFormat('en-US');
  const cf = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
  function fmtInt(v) { return v == null ? '–' : (Math.abs(v) >= 1e6 ? cf.format(v) : nf.format(Math.round(v))); }
  function fmtNum(v) {
    if (v == null) return '–';
    if (Number.isInteger(v)) return fmtInt(v);
    if (Math.abs(v) >= 100) return nf.format(Math.round(v));
    if (Math.abs(v) >= 10) return v.toFixed(1);
    return v.toFixed(2);
  }
  function fmtMs(v) {
    if (v == null) return '–';
    if (v >= 3600000) return (v / 3600000).toFixed(1) + ' h';
    if (v >= 60000) return (v / 60000).toFixed(1) + ' min';
    if (v >= 1000) return (v / 1000).toFixed(2) + ' s';
    if (v >= 100) return v.toFixed(0) + ' ms';
    if (v >= 1) return v.toFixed(2) + ' ms';
    return v.toFixed(3) + ' ms';
  }
  function fmtBytes(v) {
    const u = ['B', 'kB', 'MB', 'GB', 'TB'];
    let i = 0;
    while (v >= 1000 && i < u.length - 1) { v /= 1000; i++; }
    return (i ? v.toFixed(1) : String(Math.round(v))) + ' ' + u[i];
  }
  function pad(n) { return String(n).padStart(2, '0'); }
  // fmtTime carries its zone (it also goes into copied text); the page says "UTC" once, in the range label
  function fmtTime(ms) { return ms == null ? '–' : fmtClock(ms, true) + ' UTC'; }
  function fmtClock(ms, withDate) {
    if (ms == null) return '–';
    const d = new Date(ms);
    const day = d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate());
    const clock = pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
    return withDate ? day + ' ' + clock : clock;
  }
  function sameDay(a, b) { return new Date(a).toISOString().slice(0, 10) === new Date(b).toISOString().slice(0, 10); }
  function fmtSpan(a, b) { return fmtClock(a, true) + ' – ' + fmtClock(b, !sameDay(a, b)); }
  function fmtAgo(ms) {
    if (ms == null) return '–';
    const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 5) return 'just now';
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    if (s < 86400) return Math.floor(s / 3600) + ' h ago';
    return Math.floor(s / 86400) + ' d ago';
  }
  function fmtDuration(sec) {
    if (sec % 86400 === 0) return sec / 86400 + ' d';
    if (sec % 3600 === 0) return sec / 3600 + ' h';
    if (sec % 60 === 0) return sec / 60 + ' min';
    return sec + ' s';
  }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text);
    return e;
  }
  // a time shown relative to now, the exact time on hover
  function agoEl(tag, cls, ms) {
    const e = el(tag, cls, fmtAgo(ms));
    if (ms != null) { e.title = fmtTime(ms); e.dataset.ago = String(ms); }
    return e;
  }
  function setStatus(msg, isError) {
    const s = $('status');
    s.textContent = msg || '';
    s.classList.toggle('error', !!isError);
  }

  // ---- API ----
  async function api(path, params) {
    const u = new URL('api/' + path, document.baseURI);
    for (const [k, v] of Object.entries(params || {})) if (v !== '' && v != null) u.searchParams.set(k, v);
    let r;
    try { r = await fetch(u, { credentials: 'same-origin', headers: { Accept: 'application/json' } }); } catch (e) {
      throw new Error('the dashboard did not answer (network error) — is pg_insights_dashboard running?');
    }
    const body = await r.json().catch(() => ({ error: 'unreadable response' }));
    if (!r.ok) throw new Error((body.error || 'error') + ' (HTTP ' + r.status + ')');
    return body;
  }
  function srcParams() {
    return state.source ? { source: state.source.source } : {};
  }

  // ---- range ----
  function computeRange() {
    const src = state.source;
    if (state.zoom) { state.from = state.zoom.from; state.to = state.zoom.to; }
    else if (state.custom) { state.from = state.custom.from; state.to = state.custom.to; }
    else if (state.rangeSec === 'fit' && src && src.data_from != null && src.data_to != null) {
      state.to = src.data_to;
      state.from = Math.min(src.data_from, state.to - MIN_FIT_MS);
    } else {
      state.to = Date.now();
      state.from = state.to - (state.rangeSec === 'fit' ? 3600 : state.rangeSec) * 1000;
    }
    const lbl = $('range-label');
    lbl.textContent = fmtSpan(state.from, state.to) + ' (all times UTC)';
    lbl.dataset.from = String(state.from);
    lbl.dataset.to = String(state.to);
    $('zoom-reset').hidden = !state.zoom;
  }
  function listRange() {
    const w = state.steps[state.step];
    if (w) return { from: w.from, to: w.to };
    return { from: Math.floor(state.from), to: Math.ceil(state.to) };
  }

  // ---- summary tiles ----
  function tile(name, text, value, title) {
    const v = document.querySelector('#tiles [data-tile="' + name + '"] .v');
    v.textContent = text;
    if (value == null) delete v.dataset.value; else v.dataset.value = String(value);
    if (title) v.title = title; else v.removeAttribute('title');
  }
  // sum null: err true (load failed, figures stale) or false (no data yet)
  function renderTiles(sum, err) {
    $('tiles').classList.toggle('stale', !!err);
    if (!sum) {
      for (const n of ['avg_ms', 'p95_ms', 'qps', 'reads']) tile(n, '–', null);
      $('tiles').querySelector('.note').textContent = err ? 'Could not load the figures for this range.' : 'No data yet.';
      return;
    }
    const secs = (state.to - state.from) / 1000;
    const qps = sum.calls / secs;
    tile('avg_ms', sum.calls ? fmtMs(sum.avg_ms) : 'no queries', sum.avg_ms);
    tile('p95_ms', sum.p95_ms == null ? '–' : '≈ ' + fmtMs(sum.p95_ms), sum.p95_ms,
      'Estimated from latency histogram buckets; the slowest execution took ' + fmtMs(sum.max_ms) + ' (exact)');
    tile('qps', fmtNum(qps) + ' q/s', qps, fmtInt(sum.calls) + ' executions in ' + fmtDuration(Math.round(secs)));
    tile('reads', fmtInt(sum.reads) + ' blocks', sum.reads, nf.format(sum.reads) + ' blocks of 8 kB');
    $('tiles').querySelector('.note').textContent = fmtInt(sum.calls) + ' executions · max latency ' +
      fmtMs(sum.max_ms) + ' · reads ' + fmtBytes(sum.reads * BLOCK_BYTES) + ' (8 kB blocks, cache or disk)';
  }

  // ---- charts ----
  function cssVar(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }

  /*
   * The buckets as drawn: each bucket a flat step from its start to its end,
   * the time without a bucket a step at zero ("no queries"), from the range's
   * start to its end; one closing point ends the last step.
   */
  function buildPlot(series, from, to) {
    const p = { t: [], end: [], calls: [], qps: [], lat: [], real: [] };
    const push = (t, end, calls, qps, lat, real) => {
      p.t.push(t); p.end.push(end); p.calls.push(calls); p.qps.push(qps); p.lat.push(lat); p.real.push(real);
    };
    let c = from;
    for (let i = 0; i < series.t.length; i++) {
      const t = series.t[i], end = t + series.width[i] * 1000;
      if (end <= from || t >= to) continue;
      if (t > c) push(c, t, 0, 0, 0, false);
      if (p.t.length && p.t[p.t.length - 1] === t) continue;	// a bucket already drawn at this time
      push(t, end, series.calls[i], series.qps[i], series.avg_ms[i] == null ? 0 : series.avg_ms[i], true);
      c = Math.max(c, end);
    }
    if (c < to) push(c, to, 0, 0, 0, false);
    const n = p.t.length;
    push(to, to, 0, n ? p.qps[n - 1] : 0, n ? p.lat[n - 1] : 0, false);
    p.n = n;	// segments; the last point only closes the last step
    return p;
  }

  // the segment under x (seconds): the last one starting at or before it
  function segmentAt(p, x) {
    const ms = x * 1000;
    let lo = 0, hi = p.n - 1, r = -1;
    while (lo <= hi) {
      const m = (lo + hi) >> 1;
      if (p.t[m] <= ms) { r = m; lo = m + 1; } else hi = m - 1;
    }
    return r;
  }

  function timeAxisValues(u, splits, ax, space, incr) {
    const spanDays = !sameDay(u.scales.x.min * 1000, u.scales.x.max * 1000);
    return splits.map((s) => {
      const ms = s * 1000;
      const d = new Date(ms);
      const hm = pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
      const md = pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate());
      if (incr >= 86400) return md;
      if (incr < 60) return hm + ':' + pad(d.getUTCSeconds());
      return spanDays && d.getUTCHours() === 0 && d.getUTCMinutes() === 0 ? md : hm;
    });
  }
  function valueAxisValues(u, splits) { return splits.map((v) => (v == null ? '' : fmtNum(v))); }

  function baseOpts(host, height, syncKey) {
    const grid = { stroke: cssVar('--grid'), width: 1 };
    const axis = { stroke: cssVar('--muted'), grid, ticks: grid, font: '11px system-ui, sans-serif', labelFont: '11px system-ui, sans-serif' };
    return {
      width: Math.max(host.clientWidth, 200), height,
      legend: { show: false },
      cursor: { y: false, drag: { x: true, y: false, setScale: false }, sync: { key: syncKey } },
      scales: { x: { time: true } },
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
      axes: [Object.assign({ values: timeAxisValues }, axis), Object.assign({ size: 56, values: valueAxisValues, labelSize: 16 }, axis)],
      series: [{}],
      hooks: {},
    };
  }

  function mainChart(key, elId, values, label, unit, hoverId) {
    const host = $(elId);
    const p = state.plot;
    const data = [p.t.map((t) => t / 1000), values];
    const c = state.charts[key];
    if (c) { c.setData(data); return; }
    host.querySelector('.u-host') && host.querySelector('.u-host').remove();
    const opts = baseOpts(host, 200, 'pgi');
    opts.axes[1].label = unit;
    opts.series.push({ label, stroke: cssVar('--accent'), width: 2, fill: cssVar('--accent-fill'),
      paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } });
    opts.scales.x.range = () => [state.from / 1000, state.to / 1000];
    opts.scales.y = { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] };
    opts.cursor.dataIdx = (u, si, idx, x) => { const s = segmentAt(state.plot, x); return s < 0 ? idx : s; };
    opts.hooks = {
      setCursor: [(u) => showHover(u, $(hoverId), key)],
      setSelect: [(u) => onSelect(u)],
      draw: [(u) => drawStep(u)],
    };
    const wrap = el('div', 'u-host');
    host.prepend(wrap);
    state.charts[key] = new uPlot(opts, data, wrap);
  }

  function showHover(u, out, key) {
    const i = u.cursor.idx, p = state.plot;
    if (i == null || !p || i >= p.n || u.cursor.left < 0) { out.textContent = ''; delete out.dataset.t; return; }
    const span = fmtSpan(p.t[i], p.end[i]);
    let text;
    if (!p.calls[i]) text = 'no queries';
    else if (key === 'lat') text = fmtMs(p.lat[i]) + ' avg · ' + fmtInt(p.calls[i]) + ' executions';
    else text = fmtNum(p.qps[i]) + ' q/s · ' + fmtInt(p.calls[i]) + ' executions';
    out.textContent = span + ' — ' + text;
    out.dataset.t = String(p.t[i]);
    out.dataset.calls = String(p.calls[i]);
    out.dataset.value = String(key === 'lat' ? p.lat[i] : p.qps[i]);
  }

  function onSelect(u) {
    if (u.select.width < 4) return;
    const a = u.posToVal(u.select.left, 'x') * 1000;
    const b = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
    u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
    state.zoom = { from: Math.floor(a), to: Math.ceil(b) };
    state.step = -1;
    stopPlay();
    loadAll();
  }

  // keyboard: ← → move the cursor from bucket to bucket (both charts follow), Home/End to the ends, Escape leaves
  function chartKey(e, key) {
    const u = state.charts[key], p = state.plot;
    if (!u || !p || !p.n) return;
    const cur = u.cursor.idx != null && u.cursor.left >= 0 ? u.cursor.idx : -1;
    let i;
    if (e.key === 'ArrowRight') i = cur < 0 ? 0 : Math.min(cur + 1, p.n - 1);
    else if (e.key === 'ArrowLeft') i = cur < 0 ? p.n - 1 : Math.max(cur - 1, 0);
    else if (e.key === 'Home') i = 0;
    else if (e.key === 'End') i = p.n - 1;
    else if (e.key === 'Escape') { u.setCursor({ left: -10, top: -10 }, true, true); return; }
    else return;
    e.preventDefault();
    const mid = (p.t[i] + p.end[i]) / 2000;
    u.setCursor({ left: u.valToPos(mid, 'x'), top: u.bbox.height / (2 * devicePixelRatio) }, true, true);
  }

  function drawStep(u) {
    const w = state.steps[state.step];
    if (!w) return;
    const x0 = u.valToPos(w.from / 1000, 'x', true), x1 = u.valToPos(w.to / 1000, 'x', true);
    const ctx = u.ctx;
    ctx.save();
    ctx.fillStyle = cssVar('--sel');
    ctx.fillRect(x0, u.bbox.top, Math.max(x1 - x0, 3), u.bbox.height);
    ctx.restore();
  }

  // a message over a chart (loading, no data, error); the empty chart stays drawn behind it
  function chartMessage(text, isError) {
    for (const id of ['chart-latency', 'chart-qps']) {
      const m = $(id).querySelector('.plot-msg');
      m.textContent = text || '';
      m.hidden = !text;
      m.classList.toggle('error', !!isError);
    }
  }

  function renderCharts() {
    const p = state.plot;
    mainChart('lat', 'chart-latency', p.lat, 'Average latency', 'ms', 'lat-hover');
    mainChart('qps', 'chart-qps', p.qps, 'Queries per second', 'q/s', 'qps-hover');
  }

  function rebuildCharts() {
    for (const k of Object.keys(state.charts)) { state.charts[k].destroy(); delete state.charts[k]; }
    if (state.plot) renderCharts();
    if (state.detail) renderDetail(state.detail);
  }

  // ---- playback: the range in steps of a size that fits it ----
  function buildSteps() {
    const span = (state.to - state.from) / 1000;
    const minWidth = state.series && state.series.width.length ? Math.min(...state.series.width) : 10;
    const size = STEP_SIZES.find((s) => s >= minWidth && span / s <= MAX_STEPS) || Math.ceil(span / MAX_STEPS);
    const steps = [];
    for (let a = state.from; a < state.to; a += size * 1000) steps.push({ from: a, to: Math.min(a + size * 1000, state.to) });
    state.steps = steps;
    state.stepSize = size;
    const one = steps.length < 2;
    for (const id of ['pb-prev', 'pb-play', 'pb-next']) $(id).disabled = one;
    $('pb-size').textContent = one ? '' : steps.length + ' steps of ' + fmtDuration(size);
  }
  // a step's executions and time, from the buckets that start in it
  function stepTotals(w) {
    const p = state.plot;
    let n = 0, ms = 0;
    for (let i = 0; i < p.n; i++) if (p.real[i] && p.t[i] >= w.from && p.t[i] < w.to) { n += p.calls[i]; ms += p.calls[i] * p.lat[i]; }
    return { calls: n, avg_ms: n ? ms / n : null, qps: n / ((w.to - w.from) / 1000) };
  }
  function labelStep() {
    const lbl = $('pb-label');
    const w = state.steps[state.step];
    if (!w) { lbl.textContent = 'Whole range'; delete lbl.dataset.from; delete lbl.dataset.to; return; }
    const x = stepTotals(w);
    lbl.textContent = 'Step ' + (state.step + 1) + ' of ' + state.steps.length + ': ' + fmtSpan(w.from, w.to) + ' — ' +
      (x.calls ? fmtInt(x.calls) + ' executions, ' + fmtMs(x.avg_ms) + ' avg, ' + fmtNum(x.qps) + ' q/s' : 'no queries');
    lbl.dataset.from = String(w.from);
    lbl.dataset.to = String(w.to);
  }
  function setStep(i) {
    state.step = state.steps.length ? Math.max(-1, Math.min(i, state.steps.length - 1)) : -1;
    labelStep();
    for (const k of ['lat', 'qps']) if (state.charts[k]) state.charts[k].redraw(false);
    state.offset = 0;
    loadList();
  }
  function stopPlay() {
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
    $('pb-play').textContent = '▶ Play';
    $('pb-play').setAttribute('aria-label', 'Play');
  }
  function togglePlay() {
    if (state.timer) { stopPlay(); return; }
    if (state.steps.length < 2) return;
    if (state.step < 0 || state.step >= state.steps.length - 1) setStep(0);
    $('pb-play').textContent = '❚❚ Pause';
    $('pb-play').setAttribute('aria-label', 'Pause');
    state.timer = setInterval(() => {
      if (state.step >= state.steps.length - 1) { stopPlay(); return; }
      setStep(state.step + 1);
    }, 1200);
  }

  // ---- query list ----
  function listParams() {
    const r = listRange();
    return Object.assign(srcParams(), {
      from: r.from, to: r.to, sort: state.sort, dir: state.dir, table: state.table, q: state.q,
      quick: [...state.quick].join(','), offset: state.offset, limit: PAGE, own: PgiEvidence.showOwn() ? 1 : '',
    });
  }

  function listError(msg) {
    const box = $('list-error');
    box.hidden = !msg;
    box.textContent = msg || '';
  }

  async function loadList() {
    if (!state.source) return;
    const seq = ++state.listSeq;
    let res;
    try { res = await api('queries', listParams()); } catch (e) {
      if (seq !== state.listSeq) return;
      // the old rows stay for reference, marked as out of date; nothing to page through
      const rows = $('rows');
      rows.classList.add('stale');
      listError('Could not load the query list: ' + e.message + '. ' + (state.listOk ?
        'The rows below are from ' + fmtClock(state.listOk) + ' and may be out of date. ' : '') + 'Retrying every 10 s.');
      $('page-prev').disabled = true;
      $('page-next').disabled = true;
      $('list').dataset.ready = String(seq);
      $('list').dataset.error = '1';
      return;
    }
    if (seq !== state.listSeq) return;
    state.listOk = Date.now();
    listError('');
    $('rows').classList.remove('stale');
    delete $('list').dataset.error;
    state.total = res.total;
    PgiEvidence.setHidden(res.hidden_own);
    renderList(res.rows);
    const end = Math.min(state.offset + res.rows.length, res.total);
    $('list-count').textContent = fmtInt(res.total) + ' statement shape' + (res.total === 1 ? '' : 's');
    $('page-label').textContent = res.total ? (fmtInt(state.offset + 1) + '–' + fmtInt(end) + ' of ' + fmtInt(res.total)) : '';
    $('page-prev').disabled = state.offset === 0;
    $('page-next').disabled = end >= res.total;
    $('list').dataset.ready = String(seq);
  }

  function cell(tr, text, cls, value, col) {
    const td = el('td', cls, text);
    if (value != null) td.dataset.value = String(value);
    if (typeof value === 'number' && Math.abs(value) >= 1e6) td.title = nf.format(value);
    td.dataset.col = col;
    const th = document.querySelector('#list th[data-sort="' + col + '"]');
    if (th && th.dataset.label) td.dataset.label = th.dataset.label;
    tr.appendChild(td);
    return td;
  }

  // the filters in force, in words, for an empty result
  function activeFilters() {
    const f = [];
    if (state.table) f.push('table "' + state.table + '"');
    if (state.q) f.push('search "' + state.q + '"');
    for (const q of state.quick) f.push('quick filter "' + QUICK_NAMES[q] + '"');
    return f;
  }

  function emptyRow(frag) {
    const tr = el('tr', 'empty');
    const td = el('td');
    td.colSpan = 11;
    const f = activeFilters();
    const w = state.steps[state.step];
    const where = w ? 'in step ' + (state.step + 1) + ' (' + fmtSpan(w.from, w.to) + ')' : 'in this range';
    if (!state.sources.length) td.textContent = 'No snapshots received yet: start pg_insights_collector with --dashboard-url pointing here.';
    else if (f.length) {
      td.appendChild(el('span', null, 'No statement matches ' + f.join(' and ') + ' ' + where + '. '));
      const b = el('button', 'clear-filters', 'Clear filters');
      b.type = 'button';
      b.addEventListener('click', clearFilters);
      td.appendChild(b);
    } else td.textContent = 'No statement ran ' + where + '. Pick a longer range, or "All data".';
    tr.appendChild(td);
    frag.appendChild(tr);
  }

  function clearFilters() {
    state.table = ''; state.q = ''; state.quick.clear(); state.offset = 0;
    $('table').value = ''; $('q').value = '';
    for (const b of document.querySelectorAll('[data-quick]')) b.setAttribute('aria-pressed', 'false');
    loadList();
  }

  function renderList(rows) {
    const body = $('rows');
    const frag = document.createDocumentFragment();
    if (!rows.length) emptyRow(frag);
    for (const r of rows) {
      const tr = el('tr');
      tr.tabIndex = 0;
      tr.dataset.shapeId = r.shape_id;
      if (state.detail && state.detail.shape.shape_id === r.shape_id) tr.classList.add('current');
      const flag = cell(tr, r.findings > 0 ? '⚑' : '', 'c-flag' + (r.findings > 0 ? ' has' : ''), r.findings, 'findings');
      if (r.findings > 0) flag.title = r.findings + ' open finding' + (r.findings === 1 ? '' : 's');
      const sql = cell(tr, PgiEvidence.label(r.query, r.model_action), 'c-sql', r.query, 'query');
      sql.title = r.query;
      cell(tr, r.model_action || '', 'c-model', r.model_action, 'model_action');
      cell(tr, fmtMs(r.avg_ms), 'num', r.avg_ms, 'avg_ms');
      const p95 = cell(tr, r.p95_ms == null ? '–' : '≈ ' + fmtMs(r.p95_ms), 'num', r.p95_ms, 'p95_ms');
      p95.title = 'Estimated from histogram buckets; slowest execution ' + fmtMs(r.max_ms) + ' (exact)';
      cell(tr, fmtInt(r.calls), 'num', r.calls, 'calls');
      cell(tr, fmtInt(r.reads), 'num', r.reads, 'reads');
      cell(tr, fmtNum(r.reads_per_call), 'num', r.reads_per_call, 'reads_per_call');
      cell(tr, fmtInt(r.rows), 'num', r.rows, 'rows');
      cell(tr, fmtMs(r.total_ms), 'num', r.total_ms, 'total_ms');
      const ls = cell(tr, fmtAgo(r.last_seen), 'num', r.last_seen, 'last_seen');
      ls.title = fmtTime(r.last_seen);
      ls.dataset.ago = String(r.last_seen);
      frag.appendChild(tr);
    }
    body.replaceChildren(frag);
  }

  function updateSortHeaders() {
    for (const th of document.querySelectorAll('#list th[data-sort]')) {
      const on = th.dataset.sort === state.sort;
      th.setAttribute('aria-sort', on ? (state.dir === 'asc' ? 'ascending' : 'descending') : 'none');
    }
  }

  // ---- query detail ----
  // a readable title: the Prisma call, the command and its tables (the shape id stays in the tooltip)
  function shapeTitle(shape) {
    const tables = (shape.tables || []).join(', ');
    const what = (shape.command || 'Query') + (tables ? ' on ' + tables : '');
    return (shape.model_action ? shape.model_action + ' — ' : '') + what;
  }

  async function openDetail(shapeId, focus) {
    const seq = ++state.detailSeq;
    const r = listRange();
    let d;
    try {
      d = await api('queries/' + encodeURIComponent(shapeId), Object.assign(srcParams(), { from: r.from, to: r.to }));
    } catch (e) { setStatus('Query detail: ' + e.message, true); return; }
    if (seq !== state.detailSeq) return;
    const panel = $('detail');
    const other = !state.detail || state.detail.shape.shape_id !== d.shape.shape_id;
    state.detail = d;
    // shown before it is drawn, so the chart takes the panel's width
    panel.hidden = false;
    document.body.classList.add('with-detail');
    renderDetail(d);
    panel.dataset.shapeId = d.shape.shape_id;
    if (other) panel.scrollTop = 0;
    for (const tr of document.querySelectorAll('#rows tr')) tr.classList.toggle('current', tr.dataset.shapeId === shapeId);
    if (focus) panel.focus();
  }

  function closeDetail() {
    state.detail = null;
    state.detailSeq++;
    if (state.charts.shape) { state.charts.shape.destroy(); delete state.charts.shape; }
    $('detail').hidden = true;
    delete $('detail').dataset.shapeId;
    document.body.classList.remove('with-detail');
    const cur = document.querySelector('#rows tr.current');
    if (cur) { cur.classList.remove('current'); cur.focus(); }
  }

  function fallbackPrompt(d) {
    const s = d.stats;
    return 'Review this PostgreSQL query for performance. No rule flagged it.\n\n' + d.shape.query + '\n\n' +
      'Measured over ' + fmtTime(d.from) + ' to ' + fmtTime(d.to) + ': ' + fmtInt(s.calls) + ' executions, ' +
      'average latency ' + fmtMs(s.avg_ms) + ', ' + fmtNum(s.reads_per_call) + ' blocks read per call, ' +
      fmtNum(s.rows_per_call) + ' rows per call. Tables: ' + ((d.shape.tables || []).join(', ') || 'none') + '.';
  }

  function renderFinding(f, shape) {
    const box = el('article', 'finding sev-' + (f.severity || 'info'));
    const h = el('h4');
    h.appendChild(el('span', 'kind', KINDS[f.kind] || f.kind));
    h.appendChild(el('span', 'badge', f.severity || 'info'));
    h.appendChild(el('span', 'badge status', f.status));
    box.appendChild(h);
    if (f.suggestion) box.appendChild(el('p', 'why', f.suggestion));
    if (f.parent_query) {
      const p = el('p', 'parent');
      p.appendChild(el('strong', null, 'Parent statement: '));
      p.appendChild(el('code', null, f.parent_query));
      box.appendChild(p);
    }
    box.appendChild(PgiEvidence.render(f, shape));
    if (f.fix_sql) {
      const h5 = el('h5', null, 'Change ');
      const b = el('button', 'copy', 'Copy fix');
      b.type = 'button';
      b.addEventListener('click', () => copyText(f.fix_sql, b));
      h5.appendChild(b);
      box.appendChild(h5);
      box.appendChild(el('pre', 'code fix', f.fix_sql));
    }
    if (f.expected_impact) {
      box.appendChild(el('h5', null, 'Expected impact'));
      box.appendChild(el('p', 'impact', f.expected_impact));
    }
    // occurrences counts the collector's polls, not executions: the meta line says when, not how often
    const meta = el('p', 'muted small', 'Flagged since ');
    meta.append(agoEl('span', null, f.first_seen), ' · last seen ', agoEl('span', null, f.last_seen));
    box.appendChild(meta);
    return box;
  }

  function renderAttribution(list) {
    if (!list.length) return el('p', 'muted', 'No sqlcommenter tags were seen for this statement (raw SQL or an untagged client).');
    const t = el('table', 'attr');
    const head = el('tr');
    for (const h of ['Caller', 'Details', 'Executions', 'Avg latency']) head.appendChild(el('th', null, h));
    const thead = el('thead'); thead.appendChild(head); t.appendChild(thead);
    const tb = el('tbody');
    for (const a of list) {
      const tr = el('tr');
      const who = el('td');
      if (a.prisma_model) {
        who.appendChild(el('span', 'badge prisma', 'Prisma'));
        who.appendChild(el('code', 'model-action', a.prisma_model + '.' + a.prisma_action));
      } else if (a.route || a.controller) {
        who.appendChild(el('span', 'badge', a.framework || 'route'));
        who.appendChild(el('code', 'route', [a.route, a.controller && (a.controller + (a.action ? '#' + a.action : ''))].filter(Boolean).join(' → ')));
      } else who.appendChild(el('span', 'muted', a.application || a.db_driver || 'tagged client'));
      tr.appendChild(who);
      const det = el('td');
      if (a.prisma_shape) {
        det.appendChild(el('div', 'muted small', 'Decoded Prisma query shape'));
        det.appendChild(el('pre', 'code small', a.prisma_shape));
      }
      const tags = a.tags && typeof a.tags === 'object' ? Object.entries(a.tags) : [];
      if (tags.length) {
        const ul = el('ul', 'tags');
        for (const [k, v] of tags) ul.appendChild(el('li', null, PgiEvidence.tagText(k, v)));
        det.appendChild(ul);
      }
      tr.appendChild(det);
      tr.appendChild(el('td', 'num', fmtInt(a.calls)));
      tr.appendChild(el('td', 'num', fmtMs(a.avg_ms)));
      tb.appendChild(tr);
    }
    t.appendChild(tb);
    return t;
  }

  function renderHist(s) {
    const box = el('div');
    const h = s.histogram || [], b = s.histogram_bounds_ms || [];
    let lo = h.findIndex((v) => v > 0), hi = h.length - 1;
    while (hi >= 0 && !(h[hi] > 0)) hi--;
    if (lo < 0) { box.appendChild(el('p', 'muted', 'No executions in this range.')); return box; }
    const max = Math.max(...h);
    const total = h.reduce((a, v) => a + v, 0);
    for (let i = lo; i <= hi; i++) {
      const row = el('div', 'hrow');
      const label = i === 0 ? '< ' + fmtMs(b[0]) : (i >= b.length ? '≥ ' + fmtMs(b[b.length - 1]) : fmtMs(b[i - 1]) + ' – ' + fmtMs(b[i]));
      row.appendChild(el('span', 'hlabel', label));
      const bar = el('span', 'hbar');
      const fill = el('span', 'hfill');
      fill.style.width = (max ? (100 * h[i] / max) : 0).toFixed(1) + '%';
      bar.appendChild(fill);
      row.appendChild(bar);
      row.appendChild(el('span', 'hcount', fmtInt(h[i]) + ' (' + (100 * h[i] / total).toFixed(1) + '%)'));
      box.appendChild(row);
    }
    return box;
  }

  // wait samples as bars: "IO:DataFileRead  62 % (310 samples)"; CPU is running, not waiting
  function renderWaits(list) {
    const box = el('div');
    if (!list || !list.length) {
      box.appendChild(el('p', 'muted', 'No wait samples for this statement in this range (it ran shorter than the sampling interval, or sampling is off).'));
      return box;
    }
    const max = Math.max(...list.map((w) => Number(w.samples)));
    for (const w of list) {
      const row = el('div', 'hrow');
      row.dataset.wait = w.wait;
      row.appendChild(el('span', 'hlabel', w.wait === 'CPU' ? 'CPU (running)' : w.wait));
      const bar = el('span', 'hbar');
      const fill = el('span', 'hfill');
      fill.style.width = (max ? (100 * Number(w.samples) / max) : 0).toFixed(1) + '%';
      bar.appendChild(fill);
      row.appendChild(bar);
      row.appendChild(el('span', 'hcount', Number(w.pct).toFixed(1).replace(/\.0$/, '') + ' % (' + fmtInt(w.samples) + ' samples)'));
      box.appendChild(row);
    }
    return box;
  }

  function renderErrors(list) {
    if (!list || !list.length) return el('p', 'muted', 'No failed executions in this range.');
    const ul = el('ul', 'errors');
    for (const e of list) {
      const li = el('li');
      li.dataset.sqlstate = e.sqlstate;
      li.appendChild(el('code', null, e.sqlstate));
      li.append(' — ' + fmtInt(e.errors) + ' failed execution' + (Number(e.errors) === 1 ? '' : 's') + ', last ');
      li.appendChild(agoEl('span', 'ago', e.last_seen));
      ul.appendChild(li);
    }
    return ul;
  }

  function renderDetail(d) {
    const body = $('d-body');
    const frag = $('tpl-detail').content.cloneNode(true);
    const f = (name) => frag.querySelector('[data-f="' + name + '"]');
    const s = d.stats;
    $('d-title').textContent = shapeTitle(d.shape);
    $('d-title').title = 'Statement shape ' + d.shape.shape_id;
    f('tables').textContent = (d.shape.tables || []).join(', ') || '–';
    f('calls').textContent = fmtInt(s.calls); f('calls').dataset.value = String(s.calls);
    f('avg_ms').textContent = fmtMs(s.avg_ms); f('avg_ms').dataset.value = String(s.avg_ms);
    f('p95_ms').textContent = s.p95_ms == null ? '–' : '≈ ' + fmtMs(s.p95_ms); f('p95_ms').dataset.value = String(s.p95_ms);
    f('max_ms').textContent = fmtMs(s.max_ms); f('max_ms').dataset.value = String(s.max_ms);
    f('reads_per_call').textContent = fmtNum(s.reads_per_call); f('reads_per_call').dataset.value = String(s.reads_per_call);
    f('rows_per_call').textContent = fmtNum(s.rows_per_call); f('rows_per_call').dataset.value = String(s.rows_per_call);
    const verdict = f('verdict');
    verdict.textContent = d.verdict.text;
    verdict.classList.add(d.verdict.level || (d.verdict.needs_optimization ? 'bad' : 'good'));
    const fl = f('findings');
    for (const x of d.findings) fl.appendChild(renderFinding(x, d.shape));
    const promptText = PgiEvidence.prompt(d) || fallbackPrompt(d);
    f('prompt').textContent = promptText;
    f('sql').textContent = d.shape.query;
    f('attribution').appendChild(renderAttribution(d.attribution));
    f('hist').appendChild(renderHist(s));
    f('waits').appendChild(renderWaits(d.waits));
    f('errors').appendChild(renderErrors(d.errors));
    for (const b of frag.querySelectorAll('button[data-copy]')) {
      b.addEventListener('click', () => copyText(b.dataset.copy === 'prompt' ? promptText : d.shape.query, b));
    }
    if (state.charts.shape) { state.charts.shape.destroy(); delete state.charts.shape; }
    body.replaceChildren(frag);
    shapeChart(d, body.querySelector('[data-f="shape-chart"]'), body.querySelector('[data-f="shape-hover"]'));
  }

  // this query over time: executions per second (left axis) and average latency (right axis), zero where it did not run
  function shapeChart(d, host, hover) {
    const p = buildPlot(d.series, d.from, d.to);
    const opts = baseOpts(host, 180, 'shape');
    opts.axes[1].label = 'q/s';
    opts.axes.push({ scale: 'ms', side: 1, label: 'ms', labelSize: 16, stroke: cssVar('--muted'), grid: { show: false }, size: 56,
      values: valueAxisValues, font: '11px system-ui, sans-serif', labelFont: '11px system-ui, sans-serif' });
    opts.series.push({ label: 'Executions per second', stroke: cssVar('--accent'), width: 2, fill: cssVar('--accent-fill'),
      paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } });
    opts.series.push({ label: 'Avg latency', stroke: cssVar('--accent2'), width: 2, scale: 'ms',
      paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } });
    opts.scales.x.range = () => [d.from / 1000, d.to / 1000];
    opts.scales.y = { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] };
    opts.scales.ms = { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] };
    opts.cursor.drag = { x: false, y: false };
    opts.cursor.dataIdx = (u, si, idx, x) => { const s = segmentAt(p, x); return s < 0 ? idx : s; };
    opts.hooks.setCursor = [(u) => {
      const i = u.cursor.idx;
      if (i == null || i >= p.n || u.cursor.left < 0) { hover.textContent = ''; return; }
      hover.textContent = fmtSpan(p.t[i], p.end[i]) + ' — ' + (p.calls[i] ?
        fmtNum(p.qps[i]) + ' q/s · ' + fmtMs(p.lat[i]) + ' avg' : 'no queries');
      hover.dataset.t = String(p.t[i]);
    }];
    state.charts.shape = new uPlot(opts, [p.t.map((t) => t / 1000), p.qps, p.lat], host);
  }
  async function copyText(text, button) {
    let ok = false;
    try { await navigator.clipboard.writeText(text); ok = true; } catch (e) {
      const ta = el('textarea'); ta.value = text; ta.setAttribute('readonly', '');
      ta.className = 'offscreen'; document.body.appendChild(ta); ta.select();
      try { ok = document.execCommand('copy'); } catch (e2) { ok = false; }
      ta.remove();
    }
    const old = button.dataset.label || button.textContent;
    button.dataset.label = old;
    button.textContent = ok ? 'Copied ✓' : 'Copy failed';
    setTimeout(() => { button.textContent = old; }, 1500);
  }


  // ---- loading ----
  // the server as a person names it (--server-name, cluster_name, host:port); a socket directory is "local socket"
  function hostLabel(s) {
    const h = s.name || s.host || '';
    if (!h) return 'server ' + s.server;
    if (h.startsWith('/')) return 'local socket';
    return h;
  }
  function sourceLabel(s) {
    // "15.20 (Debian 15.20-1.pgdg120+1)": the version number is enough here, the rest is in the tooltip
    return s.db + ' — ' + hostLabel(s) + (s.role === 'standby' ? ' · standby' : '') +
      (s.version ? ' (PostgreSQL ' + s.version.split(' ')[0] + ')' : '');
  }

  async function loadSources() {
    const res = await api('servers');
    state.sources = res.servers;
    const sel = $('source');
    const prev = state.source ? String(state.source.source) : null;
    sel.replaceChildren();
    for (const s of res.servers) {
      const o = el('option', null, sourceLabel(s));
      o.value = String(s.source);
      o.title = (s.instance || s.host || '') + (s.role ? ' · ' + s.role : '') + ' · PostgreSQL ' + (s.version || '?') +
        ' · system identifier ' + s.server + ' · ' +
        fmtInt(s.shapes) + ' statement shapes';
      sel.appendChild(o);
    }
    if (!res.servers.length) sel.appendChild(el('option', null, 'no server yet'));
    sel.disabled = !res.servers.length;
    const pick = res.servers.find((s) => String(s.source) === prev) || res.servers[0] || null;
    state.source = pick;
    if (pick) { sel.value = String(pick.source); sel.title = pick.instance || pick.host || ''; }
    renderCollectorHealth(pick);
  }

  // when the latest snapshot arrived, and the collector's drops and failures when there are any (so a gap is explained)
  function renderCollectorHealth(src) {
    const out = $('collector-health');
    const c = src && src.collector;
    const last = c && c.last_received != null ? c.last_received : (src ? src.last_seen : null);
    out.replaceChildren();
    if (last == null) { out.className = 'muted'; delete out.dataset.last; return; }
    out.dataset.last = String(last);
    const ago = agoEl('span', 'ago', last);
    out.append('Last snapshot ', ago);
    const dropped = Number((c && c.snapshots_dropped_total) || 0);
    const wfail = Number((c && c.spool_write_failures_total) || 0);
    out.dataset.dropped = String(dropped);
    out.dataset.writeFailures = String(wfail);
    const lost = [];
    if (dropped > 0) lost.push(fmtInt(dropped) + ' snapshots dropped');
    if (wfail > 0) lost.push(fmtInt(wfail) + ' spool write failures');
    if (lost.length) out.append(' · collector: ' + lost.join(', '));
    out.className = lost.length ? 'warn' : 'muted';
  }

  // relative times ("3 min ago") kept current between refreshes
  function tickAgo() {
    for (const e of document.querySelectorAll('[data-ago]')) e.textContent = fmtAgo(Number(e.dataset.ago));
  }

  async function loadTables() {
    if (!state.source) return;
    const res = await api('tables', Object.assign(srcParams(), { own: PgiEvidence.showOwn() ? 1 : '' }));
    const sel = $('table');
    sel.replaceChildren(el('option', null, 'All tables'));
    sel.firstChild.value = '';
    for (const t of res.tables) { const o = el('option', null, t); o.value = t; sel.appendChild(o); }
    if (res.tables.includes(state.table)) sel.value = state.table; else { state.table = ''; sel.value = ''; }
  }

  function noData() {
    state.series = { t: [], width: [], calls: [], qps: [], avg_ms: [] };
    state.plot = buildPlot(state.series, state.from, state.to);
    renderCharts();
    buildSteps();
    for (const id of ['pb-prev', 'pb-play', 'pb-next']) $(id).disabled = true;	// nothing to step through
    $('pb-size').textContent = '';
    renderTiles(null, false);
  }

  async function loadAll() {
    try {
      if (!state.listOk) setStatus('Loading…');
      await loadSources();
    } catch (e) {
      loadFailed(e);
      return;
    }
    computeRange();
    if (!state.source) {
      noData();
      chartMessage('No data yet: no snapshot has been received.');
      renderList([]);
      $('list').dataset.ready = String(++state.listSeq);
      $('page-prev').disabled = true; $('page-next').disabled = true;
      setStatus('');
      return;
    }
    try {
      const keepFrom = state.steps[state.step] ? state.steps[state.step].from : null;
      const [, ts] = await Promise.all([loadTables(),
        api('timeseries', Object.assign(srcParams(), { from: Math.floor(state.from), to: Math.ceil(state.to) }))]);
      state.series = ts.series;
      state.summary = ts.summary;
      state.plot = buildPlot(ts.series, state.from, state.to);
      renderCharts();
      chartMessage(ts.summary && ts.summary.calls ? '' : 'No queries in this range.');
      renderTiles(ts.summary, false);
      buildSteps();
      state.step = keepFrom == null ? -1 : state.steps.findIndex((w) => w.from === keepFrom);
      labelStep();
      for (const k of ['lat', 'qps']) if (state.charts[k]) state.charts[k].redraw(false);
      await loadList();
      if (state.detail) await openDetail(state.detail.shape.shape_id, false);
      if (!$('list').dataset.error) setStatus('Updated ' + fmtClock(Date.now()));
    } catch (e) { loadFailed(e); }
  }

  // nothing could be loaded: say so where the data would be, keep old figures visibly stale
  function loadFailed(e) {
    setStatus('Not updated: ' + e.message, true);
    if (!state.plot) { state.from = state.from || Date.now() - 3600e3; state.to = state.to || Date.now(); noData(); }
    chartMessage('Could not load the charts: ' + e.message, true);
    renderTiles(null, true);
    for (const id of ['pb-prev', 'pb-play', 'pb-next']) $(id).disabled = true;
    stopPlay();
    if (state.listOk) { $('rows').classList.add('stale'); } else $('rows').replaceChildren();
    listError('Could not load the query list: ' + e.message + '. ' + (state.listOk ?
      'The rows below are from ' + fmtClock(state.listOk) + ' and may be out of date. ' : '') + 'Retrying every 10 s.');
    $('page-prev').disabled = true;
    $('page-next').disabled = true;
    $('list').dataset.error = '1';
    $('list').dataset.ready = String(++state.listSeq);
  }

  // ---- wiring ----
  function wire() {
    for (const b of document.querySelectorAll('[data-range]')) {
      b.addEventListener('click', () => {
        state.rangeSec = b.dataset.range === 'fit' ? 'fit' : Number(b.dataset.range);
        state.custom = null; state.zoom = null; state.step = -1;
        for (const o of document.querySelectorAll('.range .seg')) o.setAttribute('aria-pressed', String(o === b));
        $('custom').hidden = true; $('custom-toggle').setAttribute('aria-expanded', 'false');
        stopPlay(); loadAll();
      });
    }
    $('custom-toggle').addEventListener('click', () => {
      const f = $('custom');
      f.hidden = !f.hidden;
      $('custom-toggle').setAttribute('aria-expanded', String(!f.hidden));
      if (!f.hidden) {
        const iso = (ms) => new Date(ms).toISOString().slice(0, 19);
        $('custom-from').value = iso(state.from); $('custom-to').value = iso(state.to);
        $('custom-from').focus();
      }
    });
    $('custom').addEventListener('submit', (e) => {
      e.preventDefault();
      const a = Date.parse($('custom-from').value + 'Z'), b = Date.parse($('custom-to').value + 'Z');
      if (!(a < b)) { setStatus('Custom range: "from" must be before "to"', true); return; }
      state.custom = { from: a, to: b }; state.zoom = null; state.step = -1;
      for (const o of document.querySelectorAll('.range .seg')) o.setAttribute('aria-pressed', String(o.id === 'custom-toggle'));
      stopPlay(); loadAll();
    });
    $('source').addEventListener('change', () => {
      state.source = state.sources.find((s) => String(s.source) === $('source').value) || null;
      state.step = -1; state.offset = 0; state.table = '';
      closeDetail(); stopPlay(); loadAll();
    });
    $('zoom-reset').addEventListener('click', () => { state.zoom = null; state.step = -1; loadAll(); });
    $('pb-prev').addEventListener('click', () => { stopPlay(); setStep(state.step < 0 ? state.steps.length - 1 : Math.max(0, state.step - 1)); });
    $('pb-next').addEventListener('click', () => { stopPlay(); setStep(state.step + 1); });
    $('pb-play').addEventListener('click', togglePlay);
    $('chart-latency').addEventListener('keydown', (e) => chartKey(e, 'lat'));
    $('chart-qps').addEventListener('keydown', (e) => chartKey(e, 'qps'));
    $('pb-all').addEventListener('click', () => { stopPlay(); setStep(-1); });
    for (const th of document.querySelectorAll('#list th[data-sort]')) {
      th.querySelector('button').addEventListener('click', () => {
        const col = th.dataset.sort;
        if (state.sort === col) state.dir = state.dir === 'desc' ? 'asc' : 'desc';
        else { state.sort = col; state.dir = (col === 'query' || col === 'model_action') ? 'asc' : 'desc'; }
        state.offset = 0; updateSortHeaders(); loadList();
      });
    }
    for (const b of document.querySelectorAll('[data-quick]')) {
      b.addEventListener('click', () => {
        const q = b.dataset.quick;
        if (state.quick.has(q)) state.quick.delete(q); else state.quick.add(q);
        b.setAttribute('aria-pressed', String(state.quick.has(q)));
        state.offset = 0; loadList();
      });
    }
    PgiEvidence.mountOwnToggle(document.querySelector('.filters'), () => { state.offset = 0; loadTables().then(loadList); });
    $('table').addEventListener('change', () => { state.table = $('table').value; state.offset = 0; loadList(); });
    let debounce = null;
    $('q').addEventListener('input', () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => { state.q = $('q').value.trim(); state.offset = 0; loadList(); }, 250);
    });
    $('page-prev').addEventListener('click', () => { state.offset = Math.max(0, state.offset - PAGE); loadList(); });
    $('page-next').addEventListener('click', () => { state.offset += PAGE; loadList(); });
    $('rows').addEventListener('click', (e) => {
      const tr = e.target.closest('tr[data-shape-id]');
      if (tr) openDetail(tr.dataset.shapeId, false);
    });
    $('rows').addEventListener('keydown', (e) => {
      const tr = e.target.closest('tr[data-shape-id]');
      if (!tr) return;
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); openDetail(tr.dataset.shapeId, true); }
      else if (e.key === 'ArrowDown' && tr.nextElementSibling) { e.preventDefault(); tr.nextElementSibling.focus(); }
      else if (e.key === 'ArrowUp' && tr.previousElementSibling) { e.preventDefault(); tr.previousElementSibling.focus(); }
    });
    $('d-close').addEventListener('click', closeDetail);
    document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && !$('detail').hidden) closeDetail(); });
    let rs = null;
    window.addEventListener('resize', () => { clearTimeout(rs); rs = setTimeout(rebuildCharts, 150); });
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', rebuildCharts);
    // live: a relative or fitted range refreshes every 10 s unless the user is looking at a step or zoom
    setInterval(() => {
      if (!document.hidden && !state.custom && !state.zoom && state.step < 0 && !state.timer) loadAll();
    }, 10000);
    setInterval(tickAgo, 1000);
  }

  document.addEventListener('DOMContentLoaded', () => {
    wire();
    updateSortHeaders();
    loadAll();
  });
})();
