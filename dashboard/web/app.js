// dashboard/web/app.js — the Query Insights page: state, API calls, charts (uPlot), playback, query list, query detail. Untrusted text only ever goes through textContent.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const PAGE = 100;
  const KINDS = {
    n_plus_one: 'N+1 queries', missing_index: 'Missing index', offset_pagination: 'Offset pagination',
    repeated_query: 'Repeated query', over_fetching: 'Over-fetching', large_nested_read: 'Large nested read',
  };

  const state = {
    sources: [], source: null,
    rangeSec: 3600, custom: null, zoom: null,
    from: 0, to: 0,
    series: null, bucket: -1, timer: null,
    sort: 'total_ms', dir: 'desc', table: '', q: '', quick: new Set(), offset: 0, total: 0,
    detail: null, charts: {}, listSeq: 0, detailSeq: 0,
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
  function pad(n) { return String(n).padStart(2, '0'); }
  function fmtTime(ms) {
    if (ms == null) return '–';
    const d = new Date(ms);
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
      pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) + ' UTC';
  }
  function fmtShort(ms) {
    if (ms == null) return '–';
    const d = new Date(ms);
    if (Math.abs(Date.now() - ms) < 86400000) return pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
    return pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' + pad(d.getUTCHours()) + ':' +
      pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
  }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text);
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
    const r = await fetch(u, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    const body = await r.json().catch(() => ({ error: 'bad response' }));
    if (!r.ok) throw new Error(body.error || ('HTTP ' + r.status));
    return body;
  }
  function srcParams() {
    return state.source ? { server: state.source.server, db: state.source.db } : {};
  }

  // ---- range ----
  function computeRange() {
    if (state.zoom) { state.from = state.zoom.from; state.to = state.zoom.to; }
    else if (state.custom) { state.from = state.custom.from; state.to = state.custom.to; }
    else { state.to = Date.now(); state.from = state.to - state.rangeSec * 1000; }
    $('range-label').textContent = fmtTime(state.from) + ' → ' + fmtTime(state.to);
    $('zoom-reset').hidden = !state.zoom;
  }
  function listRange() {
    const s = state.series;
    if (s && state.bucket >= 0 && state.bucket < s.t.length) {
      return { from: s.t[state.bucket], to: s.t[state.bucket] + s.width[state.bucket] * 1000 };
    }
    return { from: Math.floor(state.from), to: Math.ceil(state.to) };
  }

  // ---- charts ----
  function cssVar(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }

  function chartOpts(el, label, unit, hoverOut, extra) {
    const grid = { stroke: cssVar('--grid'), width: 1 };
    const axis = { stroke: cssVar('--muted'), grid, ticks: grid, font: '11px system-ui, sans-serif' };
    return Object.assign({
      width: Math.max(el.clientWidth, 200), height: el.classList.contains('small') ? 160 : 200,
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: false }, sync: { key: extra && extra.nosync ? 'shape' : 'pgi' } },
      scales: { x: { time: true } },
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
      axes: [Object.assign({}, axis), Object.assign({ size: 60 }, axis)],
      series: [{}, { label, stroke: cssVar('--accent'), width: 2, fill: cssVar('--accent-fill'),
        points: { show: (u) => u.data[0].length < 60, size: 5 }, value: (u, v) => v == null ? '–' : fmtNum(v) + unit }],
      hooks: {
        setCursor: [(u) => showHover(u, hoverOut, unit)],
        setSelect: [(u) => onSelect(u)],
        draw: [(u) => drawBucket(u)],
      },
    }, extra && extra.opts);
  }

  function showHover(u, out, unit) {
    const i = u.cursor.idx;
    if (i == null) { out.textContent = ''; return; }
    const t = u.data[0][i] * 1000;
    const parts = [];
    for (let s = 1; s < u.data.length; s++) {
      const v = u.data[s][i];
      parts.push(v == null ? '–' : (u.series[s].unit === ' ms' || (s === 1 && unit === ' ms') ? fmtMs(v) :
        fmtNum(v) + (u.series[s].unit || unit)));
    }
    out.textContent = fmtTime(t) + ' — ' + parts.join(' · ');
    out.dataset.t = String(t);
    out.dataset.value = String(u.data[1][i]);
  }

  function onSelect(u) {
    if (u.select.width < 4) return;
    const a = u.posToVal(u.select.left, 'x') * 1000;
    const b = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
    u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
    state.zoom = { from: Math.floor(a), to: Math.ceil(b) };
    state.bucket = -1;
    stopPlay();
    loadAll();
  }

  function drawBucket(u) {
    const s = state.series;
    if (!s || state.bucket < 0 || u.root.dataset.kind !== 'main') return;
    const t = s.t[state.bucket] / 1000, w = s.width[state.bucket];
    const x0 = u.valToPos(t, 'x', true), x1 = u.valToPos(t + w, 'x', true);
    const ctx = u.ctx;
    ctx.save();
    ctx.fillStyle = cssVar('--sel');
    ctx.fillRect(x0, u.bbox.top, Math.max(x1 - x0, 3), u.bbox.height);
    ctx.restore();
  }

  function mainChart(key, elId, values, label, unit, hoverId) {
    const host = $(elId);
    const xs = state.series.t.map((t) => t / 1000);
    const data = [xs, values];
    const c = state.charts[key];
    if (c) { c.setData(data); c.setScale('x', { min: state.from / 1000, max: state.to / 1000 }); return; }
    host.textContent = '';
    const opts = chartOpts(host, label, unit, $(hoverId));
    opts.scales.x.range = () => [state.from / 1000, state.to / 1000];
    const u = new uPlot(opts, data, host);
    u.root.dataset.kind = 'main';
    state.charts[key] = u;
  }

  function renderCharts() {
    const s = state.series;
    mainChart('lat', 'chart-latency', s.avg_ms, 'Average latency', ' ms', 'lat-hover');
    mainChart('qps', 'chart-qps', s.qps, 'Queries per second', '/s', 'qps-hover');
  }

  function rebuildCharts() {
    for (const k of Object.keys(state.charts)) { state.charts[k].destroy(); delete state.charts[k]; }
    if (state.series) renderCharts();
    if (state.detail) renderDetail(state.detail);
  }

  // ---- playback ----
  function setBucket(i) {
    const s = state.series;
    if (!s || !s.t.length) { state.bucket = -1; }
    else state.bucket = Math.max(-1, Math.min(i, s.t.length - 1));
    const lbl = $('pb-label');
    if (state.bucket < 0) {
      lbl.textContent = 'Whole range';
      delete lbl.dataset.bucket;
    } else {
      const t = s.t[state.bucket];
      lbl.textContent = 'Bucket ' + (state.bucket + 1) + ' of ' + s.t.length + ': ' + fmtTime(t) + ' + ' +
        s.width[state.bucket] + ' s — ' + fmtInt(s.calls[state.bucket]) + ' executions';
      lbl.dataset.bucket = String(t);
    }
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
    const s = state.series;
    if (!s || !s.t.length) return;
    if (state.bucket < 0 || state.bucket >= s.t.length - 1) setBucket(0);
    $('pb-play').textContent = '❚❚ Pause';
    $('pb-play').setAttribute('aria-label', 'Pause');
    state.timer = setInterval(() => {
      if (state.bucket >= state.series.t.length - 1) { stopPlay(); return; }
      setBucket(state.bucket + 1);
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

  async function loadList() {
    if (!state.source) return;
    const seq = ++state.listSeq;
    let res;
    try { res = await api('queries', listParams()); } catch (e) { setStatus('Query list: ' + e.message, true); return; }
    if (seq !== state.listSeq) return;
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
    tr.appendChild(td);
    return td;
  }

  function renderList(rows) {
    const body = $('rows');
    const frag = document.createDocumentFragment();
    if (!rows.length) {
      const tr = el('tr', 'empty');
      const td = el('td', null, state.sources.length ? 'No statements match in this range.' :
        'No snapshots received yet: start pg_insights_collector with --dashboard-url pointing here.');
      td.colSpan = 11;
      tr.appendChild(td);
      frag.appendChild(tr);
    }
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
      cell(tr, fmtMs(r.p95_ms), 'num', r.p95_ms, 'p95_ms');
      cell(tr, fmtInt(r.calls), 'num', r.calls, 'calls');
      cell(tr, fmtInt(r.reads), 'num', r.reads, 'reads');
      cell(tr, fmtNum(r.reads_per_call), 'num', r.reads_per_call, 'reads_per_call');
      cell(tr, fmtInt(r.rows), 'num', r.rows, 'rows');
      cell(tr, fmtMs(r.total_ms), 'num', r.total_ms, 'total_ms');
      const ls = cell(tr, fmtShort(r.last_seen), 'num', r.last_seen, 'last_seen');
      ls.title = fmtTime(r.last_seen);
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
  async function openDetail(shapeId, focus) {
    const seq = ++state.detailSeq;
    const r = listRange();
    let d;
    try {
      d = await api('queries/' + encodeURIComponent(shapeId), Object.assign(srcParams(), { from: r.from, to: r.to }));
    } catch (e) { setStatus('Query detail: ' + e.message, true); return; }
    if (seq !== state.detailSeq) return;
    state.detail = d;
    renderDetail(d);
    const panel = $('detail');
    panel.hidden = false;
    document.body.classList.add('with-detail');
    for (const tr of document.querySelectorAll('#rows tr')) tr.classList.toggle('current', tr.dataset.shapeId === shapeId);
    if (focus) panel.focus();
  }

  function closeDetail() {
    state.detail = null;
    state.detailSeq++;
    if (state.charts.shape) { state.charts.shape.destroy(); delete state.charts.shape; }
    $('detail').hidden = true;
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
    const meta = el('p', 'muted small', 'Seen ' + fmtInt(f.occurrences) + '× · first ' + fmtTime(f.first_seen) +
      ' · last ' + fmtTime(f.last_seen));
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

  function renderDetail(d) {
    const body = $('d-body');
    const frag = $('tpl-detail').content.cloneNode(true);
    const f = (name) => frag.querySelector('[data-f="' + name + '"]');
    const s = d.stats;
    $('d-title').textContent = (d.shape.model_action ? d.shape.model_action + ' · ' : '') +
      (d.shape.command || 'Query') + ' · shape ' + d.shape.shape_id;
    f('tables').textContent = (d.shape.tables || []).join(', ') || '–';
    f('calls').textContent = fmtInt(s.calls); f('calls').dataset.value = String(s.calls);
    f('avg_ms').textContent = fmtMs(s.avg_ms); f('avg_ms').dataset.value = String(s.avg_ms);
    f('p95_ms').textContent = fmtMs(s.p95_ms); f('p95_ms').dataset.value = String(s.p95_ms);
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
    for (const b of frag.querySelectorAll('button[data-copy]')) {
      b.addEventListener('click', () => copyText(b.dataset.copy === 'prompt' ? promptText : d.shape.query, b));
    }
    if (state.charts.shape) { state.charts.shape.destroy(); delete state.charts.shape; }
    body.replaceChildren(frag);
    const host = body.querySelector('[data-f="shape-chart"]');
    const hover = body.querySelector('[data-f="shape-hover"]');
    const xs = d.series.t.map((t) => t / 1000);
    const opts = chartOpts(host, 'Executions per second', '/s', hover, { nosync: true });
    opts.series.push({ label: 'Avg latency', unit: ' ms', stroke: cssVar('--accent2'), width: 2, scale: 'ms', points: { show: false } });
    opts.axes.push({ scale: 'ms', side: 1, stroke: cssVar('--muted'), grid: { show: false }, size: 60, font: '11px system-ui, sans-serif' });
    opts.series[1].unit = '/s';
    opts.scales.x.range = () => [d.from / 1000, d.to / 1000];
    opts.hooks.setSelect = [];
    opts.cursor.drag = { x: false, y: false };
    state.charts.shape = new uPlot(opts, [xs, d.series.qps, d.series.avg_ms], host);
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
  async function loadSources() {
    const res = await api('servers');
    state.sources = res.servers;
    const sel = $('source');
    const prev = state.source ? state.source.server + '\u0000' + state.source.db : null;
    sel.replaceChildren();
    for (const s of res.servers) {
      const o = el('option', null, (s.host || s.server) + ' / ' + s.db + '  (' + s.version + ', ' + fmtInt(s.shapes) + ' shapes)');
      o.value = s.server + '\u0000' + s.db;
      sel.appendChild(o);
    }
    const pick = res.servers.find((s) => s.server + '\u0000' + s.db === prev) || res.servers[0] || null;
    state.source = pick;
    if (pick) sel.value = pick.server + '\u0000' + pick.db;
    renderCollectorHealth(pick);
  }

  // the collector's drops and failures (CollectorCounters), so a gap in the charts is explained
  function renderCollectorHealth(src) {
    const out = $('collector-health');
    const c = src && src.collector;
    if (!c) { out.textContent = ''; out.className = 'muted'; return; }
    const dropped = Number(c.snapshots_dropped_total || 0);
    const wfail = Number(c.spool_write_failures_total || 0);
    const parts = ['Collector: ' + fmtInt(dropped) + ' snapshots dropped',
      fmtInt(wfail) + ' spool write failures', fmtInt(Number(c.spool_files || 0)) + ' waiting'];
    out.textContent = parts.join(', ');
    out.className = dropped > 0 || wfail > 0 ? 'warn' : 'muted';
    out.dataset.dropped = String(dropped);
    out.dataset.writeFailures = String(wfail);
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

  async function loadAll() {
    computeRange();
    try {
      setStatus('Loading…');
      await loadSources();
      if (!state.source) { state.series = { t: [], width: [], calls: [], qps: [], avg_ms: [] }; renderCharts(); renderList([]); setStatus(''); return; }
      const listDone = state.bucket < 0 ? loadList() : null;
      const [, ts] = await Promise.all([loadTables(),
        api('timeseries', Object.assign(srcParams(), { from: Math.floor(state.from), to: Math.ceil(state.to) }))]);
      const keep = state.series && state.bucket >= 0 ? state.series.t[state.bucket] : null;
      state.series = ts.series;
      renderCharts();
      setBucketSilently(keep == null ? -1 : ts.series.t.indexOf(keep));
      if (listDone) await listDone; else await loadList();
      if (state.detail) await openDetail(state.detail.shape.shape_id, false);
      setStatus('Updated ' + fmtTime(Date.now()).slice(11));
    } catch (e) { setStatus(e.message, true); }
  }
  function setBucketSilently(i) {
    state.bucket = i;
    const lbl = $('pb-label');
    if (i < 0) { lbl.textContent = 'Whole range'; delete lbl.dataset.bucket; }
    for (const k of ['lat', 'qps']) if (state.charts[k]) state.charts[k].redraw(false);
  }

  // ---- wiring ----
  function wire() {
    for (const b of document.querySelectorAll('[data-range]')) {
      b.addEventListener('click', () => {
        state.rangeSec = Number(b.dataset.range); state.custom = null; state.zoom = null; state.bucket = -1;
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
      state.custom = { from: a, to: b }; state.zoom = null; state.bucket = -1;
      for (const o of document.querySelectorAll('.range .seg')) o.setAttribute('aria-pressed', String(o.id === 'custom-toggle'));
      stopPlay(); loadAll();
    });
    $('source').addEventListener('change', () => {
      const [server, db] = $('source').value.split('\u0000');
      state.source = state.sources.find((s) => s.server === server && s.db === db) || null;
      state.bucket = -1; state.offset = 0; state.table = '';
      closeDetail(); stopPlay(); loadAll();
    });
    $('zoom-reset').addEventListener('click', () => { state.zoom = null; state.bucket = -1; loadAll(); });
    $('pb-prev').addEventListener('click', () => { stopPlay(); const n = state.series ? state.series.t.length : 0; setBucket(state.bucket < 0 ? n - 1 : Math.max(0, state.bucket - 1)); });
    $('pb-next').addEventListener('click', () => { stopPlay(); setBucket(state.bucket + 1); });
    $('pb-play').addEventListener('click', togglePlay);
    $('pb-all').addEventListener('click', () => { stopPlay(); setBucket(-1); });
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
    // live: a relative range refreshes every 10 s unless the user is looking at a bucket or zoom
    setInterval(() => {
      if (!document.hidden && !state.custom && !state.zoom && state.bucket < 0 && !state.timer) loadAll();
    }, 10000);
  }

  document.addEventListener('DOMContentLoaded', () => {
    wire();
    updateSortHeaders();
    loadAll();
  });
})();
