// dashboard/web/evidence.js — findings in words: labelled evidence values per finding kind, one merged prompt per
// query, readable tags, short statement labels, and the toggle for pg_insights' own statements. Pure functions
// (plus DOM built through textContent only); app.js calls them where the detail and the list are drawn.
'use strict';

window.PgiEvidence = (function () {
  const nf = new Intl.NumberFormat('en-US');
  const KINDS = {
    n_plus_one: 'N+1 queries', missing_index: 'Missing index', offset_pagination: 'Offset pagination',
    repeated_query: 'Repeated query', over_fetching: 'Over-fetching', large_nested_read: 'Large nested read',
    frequent_errors: 'Frequent errors',
  };

  // ---- numbers ----
  function num(v, digits) {
    if (v == null || v === '' || !isFinite(Number(v))) return '–';
    const x = Number(v);
    if (digits == null) digits = Math.abs(x) >= 100 || Number.isInteger(x) ? 0 : (Math.abs(x) >= 10 ? 1 : 2);
    return new Intl.NumberFormat('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(x);
  }
  function int(v) { return v == null || !isFinite(Number(v)) ? '–' : nf.format(Math.round(Number(v))); }
  function plural(n, one, many) { return int(n) + ' ' + (Math.round(Number(n)) === 1 ? one : (many || one + 's')); }
  function fixed(x, d) { return new Intl.NumberFormat('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }).format(x); }
  function ms(v) {
    if (v == null || !isFinite(Number(v))) return '–';
    const x = Number(v);
    if (x >= 60000) return fixed(x / 60000, 1) + ' min';
    if (x >= 1000) return fixed(x / 1000, 2) + ' s';
    if (x >= 100) return fixed(x, 0) + ' ms';
    if (x >= 1) return fixed(x, 2) + ' ms';
    return fixed(x, 3) + ' ms';
  }
  function pct(frac) { // 0.995 -> "99.5 %"; never "100 %" for a value below one
    const p = Number(frac) * 100;
    let s = num(p, p >= 99 && p < 100 ? 1 : (p < 10 ? 1 : 0));
    if (s === '100' && p < 100) s = '99.9';
    return s + ' %';
  }
  function blocks(v) { return int(v) + (Math.round(Number(v)) === 1 ? ' block' : ' blocks') + ' (8 kB)'; }
  function bytes(v) {
    const x = Number(v);
    if (!isFinite(x)) return '–';
    if (x >= 1048576) return num(x / 1048576, 1) + ' MB';
    if (x >= 1024) return num(x / 1024, 1) + ' kB';
    return int(x) + ' bytes';
  }
  function pad(n) { return String(n).padStart(2, '0'); }
  function when(v) {
    const t = typeof v === 'number' ? v : Date.parse(v);
    if (!isFinite(t)) return String(v);
    const d = new Date(t);
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
      pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) + ' UTC';
  }
  // "public.Post" -> "Post": the default schema says nothing
  function rel(r) { return String(r || '').replace(/^public\./, ''); }

  // ---- statement labels ----
  function cleanSql(q) {
    return String(q || '').replace(/\s+/g, ' ').trim()
      .replace(/"public"\./g, '').replace(/\bpublic\./g, '')
      .replace(/"([A-Za-z_][A-Za-z0-9_]*)"/g, '$1');
  }
  // the clause starting at a top-level keyword (outside parentheses and quotes), up to the next one
  function clauses(sql) {
    const out = [];
    const re = /\b(SELECT|FROM|WHERE|GROUP BY|HAVING|ORDER BY|LIMIT|OFFSET|RETURNING|VALUES|SET|INTO|UPDATE|DELETE|INSERT|ON CONFLICT|FOR UPDATE|UNION|WINDOW|JOIN|LEFT JOIN|INNER JOIN)\b/gi;
    let depth = 0, quote = false, last = null;
    for (let i = 0; i < sql.length; i++) {
      const ch = sql[i];
      if (quote) { if (ch === "'") quote = false; continue; }
      if (ch === "'") { quote = true; continue; }
      if (ch === '(') { depth++; continue; }
      if (ch === ')') { depth--; continue; }
      if (depth !== 0 || !/[A-Za-z]/.test(ch) || (i > 0 && /[A-Za-z0-9_.$]/.test(sql[i - 1]))) continue;
      re.lastIndex = i;
      const m = re.exec(sql);
      if (m && m.index === i) {
        if (last) last.text = sql.slice(last.start, i).trim();
        last = { kw: m[1].toUpperCase().replace(/\s+/g, ' '), start: i + m[1].length };
        out.push(last);
        i += m[1].length - 1;
      }
    }
    if (last) last.text = sql.slice(last.start).trim();
    return out;
  }
  function shorten(s, n) { return s.length <= n ? s : s.slice(0, n - 1).trimEnd() + '…'; }
  // "SELECT … FROM Post WHERE authorId = $1 (Post.findMany)": rows cut at the same width stay apart
  function inner(text) { // "(SELECT …) AS sub" -> "SELECT …"
    let depth = 0;
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '(') depth++;
      else if (text[i] === ')' && --depth === 0) return text.slice(1, i);
    }
    return null;
  }
  function label(query, modelAction, nested) {
    const sql = cleanSql(query);
    const tail = modelAction ? ' (' + modelAction + ')' : '';
    if (sql.length <= 70 && !nested) return sql + tail;
    const cs = clauses(sql);
    const get = (kw) => cs.find((c) => c.kw === kw);
    const strip = (s) => s.replace(/\b[A-Za-z_][A-Za-z0-9_]*\.([A-Za-z_][A-Za-z0-9_]*)/g, '$1');
    const first = cs[0] ? cs[0].kw : '';
    let out = null;
    if (first === 'SELECT' && get('FROM')) {
      const list = strip(cs[0].text);
      const ft = get('FROM').text;
      const sub = ft.startsWith('(') ? inner(ft) : null;
      const from = sub ? '(' + label(sub, null, true) + ')' : ft.split(/[\s,]/)[0];
      out = 'SELECT ' + (list.length <= 24 ? list : '…') + ' FROM ' + from;
      const joins = cs.filter((c) => /JOIN$/.test(c.kw)).length;
      if (joins) out += ' + ' + plural(joins, 'join');
      const w = get('WHERE');
      if (w) out += ' WHERE ' + shorten(strip(w.text), 60);
    } else if (first === 'INSERT' && get('INTO')) {
      out = 'INSERT INTO ' + get('INTO').text.split(/[\s(]/)[0] + ' …';
    } else if (first === 'UPDATE') {
      out = 'UPDATE ' + cs[0].text.split(/\s/)[0] + ' SET …';
      const w = get('WHERE');
      if (w) out += ' WHERE ' + shorten(strip(w.text), 60);
    } else if (first === 'DELETE' && get('FROM')) {
      out = 'DELETE FROM ' + get('FROM').text.split(/\s/)[0];
      const w = get('WHERE');
      if (w) out += ' WHERE ' + shorten(strip(w.text), 60);
    }
    return (out || shorten(sql, 90)) + tail;
  }

  // ---- tags ----
  const TAGS = {
    prismaQuery: 'Prisma query', route: 'Route', controller: 'Controller', action: 'Action', framework: 'Framework',
    application: 'Application', db_driver: 'Database driver', traceparent: 'Trace', tracestate: 'Trace state',
  };
  // readable UTF-8 text from base64 / base64url, or null
  function unbase64(s) {
    if (!/^[A-Za-z0-9+/_-]{8,}={0,2}$/.test(s)) return null;
    try {
      let b = s.replace(/-/g, '+').replace(/_/g, '/');
      while (b.length % 4) b += '=';
      const bin = atob(b);
      const bytesArr = Uint8Array.from(bin, (c) => c.charCodeAt(0));
      const text = new TextDecoder('utf-8', { fatal: true }).decode(bytesArr);
      // readable means printable ASCII: random letters rarely decode to that, binary never does
      return /^[\x20-\x7e\t\n\r]+$/.test(text) ? text : null;
    } catch (e) { return null; }
  }
  function tagText(key, value) {
    const v = String(value == null ? '' : value);
    const lbl = TAGS[key] || key.replace(/_/g, ' ');
    if (key === 'prismaQuery') {
      const i = v.indexOf(':');
      const call = i >= 0 ? v.slice(0, i) : v;
      const enc = i >= 0 ? v.slice(i + 1) : '';
      if (!enc) return lbl + ': ' + call;
      const dec = unbase64(enc);
      return lbl + ': ' + call + (dec != null ? ', arguments ' + dec : ', arguments (encoded, ' + enc.length + ' characters)');
    }
    if (key === 'traceparent') {
      const m = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/i.exec(v);
      if (m) return lbl + ': trace id ' + m[1] + ', span ' + m[2];
    }
    const dec = v.length >= 16 ? unbase64(v) : null;
    if (dec != null) return lbl + ': ' + dec + ' (decoded from base64)';
    return lbl + ': ' + v;
  }

  // ---- evidence ----
  const GROUPED = {
    trace_id: 'one trace id (traceparent) per request',
    transaction: 'one transaction block (BEGIN … COMMIT) per request',
    backend_burst: 'one connection running the loop alone, without pauses (no trace id or transaction)',
  };
  function measuredText(m) {
    if (!m || typeof m !== 'object') return generic(m);
    const parts = [];
    if (m.calls != null) parts.push(plural(m.calls, 'execution'));
    if (m.reads_per_call != null) parts.push(blocks(m.reads_per_call) + ' read per call');
    if (m.mean_ms != null) parts.push(ms(m.mean_ms) + ' per call');
    for (const [k, v] of Object.entries(m)) if (!['calls', 'reads_per_call', 'mean_ms'].includes(k)) parts.push(words(k) + ' ' + generic(v));
    return parts.join(', ');
  }
  function words(k) { return String(k).replace(/_/g, ' '); }
  function cap(s) { return s.charAt(0).toUpperCase() + s.slice(1); }
  // any value, no JSON: scalars formatted, objects as "key value, …", lists joined
  function generic(v) {
    if (v == null) return '–';
    if (typeof v === 'number') return num(v);
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    if (typeof v === 'string') return v;
    if (Array.isArray(v)) return v.length ? v.map(generic).join(v.some((x) => x && typeof x === 'object') ? '; ' : ', ') : 'none';
    return Object.entries(v).map(([k, x]) => words(k) + ' ' + generic(x)).join(', ');
  }

  // one {label, value} per evidence key; every key the collector writes has its own wording
  function items(f, ctx) {
    const ev = f && f.evidence && typeof f.evidence === 'object' ? f.evidence : {};
    const out = [];
    const seen = new Set();
    const add = (keys, label, value) => { for (const k of [].concat(keys)) seen.add(k); if (value != null) out.push({ label, value }); };
    const has = (k) => Object.prototype.hasOwnProperty.call(ev, k);
    const relation = rel(ev.relation || (ctx && ctx.tables && ctx.tables[0]) || '');
    switch (f.kind) {
    case 'missing_index': {
      const cols = Array.isArray(ev.index_columns) ? ev.index_columns : [];
      const on = relation + '(' + cols.join(', ') + ')';
      if (has('scan') || has('relation'))
        add(['scan', 'relation'], 'Scan', (ev.scan === 'seq' ? 'Sequential scan of ' : ev.scan === 'index' ? 'Index scan (an index that does not match the filter) of ' : (ev.scan || 'Scan') + ' scan of ') +
          relation + (has('table_rows') ? ' (' + int(ev.table_rows) + ' rows)' : ''));
      if (has('table_rows')) seen.add('table_rows');
      if (has('rows_per_scan') || has('removed_per_scan'))
        add(['rows_per_scan', 'removed_per_scan'], 'Rows per scan', int(ev.rows_per_scan) + ' kept, ' + int(ev.removed_per_scan) + ' thrown away by the filter');
      if (has('removed_fraction')) add('removed_fraction', 'Rows thrown away', pct(ev.removed_fraction) + ' of the rows scanned');
      if (has('reads_per_call')) add('reads_per_call', 'Reads', blocks(ev.reads_per_call) + ' read per call');
      if (has('calls')) add('calls', 'Executions', int(ev.calls) + ' (since the counters started)');
      if (cols.length) add('index_columns', 'Index', on);
      if (ev.planner && typeof ev.planner === 'object') {
        const b = Number(ev.planner.cost_before), a = Number(ev.planner.cost_after);
        const cut = b > 0 ? Math.round(100 * (b - a) / b) : null;
        add('planner', 'Planner cost', int(b) + ' → ' + int(a) + (cut != null ? ' (−' + cut + ' %)' : '') +
          (ev.planner.hypothetical_index ? ' with a hypothetical index on ' + on + ' (hypopg)' : ' with an index on ' + on));
      }
      if (Array.isArray(ev.serves)) {
        const others = ev.serves.filter((s) => !ctx || String(s.shape_id) !== String(ctx.shape_id));
        add('serves', 'Same index serves', others.length === 0 ? 'this statement only' :
          'this statement and ' + plural(others.length, 'other') + ': ' +
          others.map((s) => label(s.query) + ' (' + plural(s.calls, 'call') + ', ' + ms(s.total_ms) + ' in total)').join('; '));
      }
      break;
    }
    case 'n_plus_one':
      if (has('repeats_per_request_avg'))
        add(['repeats_per_request_avg', 'repeats_per_request_max'], 'Round trips per request',
          num(ev.repeats_per_request_avg, 1) + ' on average' + (has('repeats_per_request_max') ? ', ' + int(ev.repeats_per_request_max) + ' at most' : '') +
          ', one per row of the parent query');
      if (has('loops')) add('loops', 'Loops seen', plural(ev.loops, 'request'));
      if (has('parent_rows')) add('parent_rows', 'Parent rows', int(ev.parent_rows) + ' rows returned by the parent query');
      if (has('child_time_ms')) add('child_time_ms', 'Time in the loops', ms(ev.child_time_ms) + (ev.loops ? ' (' + ms(ev.child_time_ms / ev.loops) + ' per request)' : ''));
      if (has('grouped_by')) add('grouped_by', 'Requests recognised by', GROUPED[ev.grouped_by] || words(ev.grouped_by));
      if (ev.loops_by && typeof ev.loops_by === 'object') {
        const lb = ev.loops_by, parts = [];
        if (lb.trace_id) parts.push(int(lb.trace_id) + ' by trace id');
        if (lb.transaction) parts.push(int(lb.transaction) + ' by transaction');
        if (lb.backend_burst) parts.push(int(lb.backend_burst) + ' by one connection running alone');
        for (const [k, v] of Object.entries(lb)) if (!['trace_id', 'transaction', 'backend_burst'].includes(k) && v) parts.push(int(v) + ' by ' + words(k));
        add('loops_by', 'Loops by how the request was recognised', parts.join(', ') || 'none');
      }
      if (has('ambiguous_loops')) add('ambiguous_loops', 'Loops not tied to one request', int(ev.ambiguous_loops) +
        (Number(ev.ambiguous_loops) > 0 ? ' (behind a pool without trace context; not counted above)' : ''));
      if (has('confidence')) add('confidence', 'Confidence', ev.confidence === 'high' ? 'high (trace id or transaction)' :
        ev.confidence === 'medium' ? 'medium (one connection running the loop alone)' : String(ev.confidence));
      break;
    case 'offset_pagination':
      if (has('deepest_offset')) add('deepest_offset', 'Deepest page', 'OFFSET ' + int(ev.deepest_offset));
      if (has('reads_first_page') || has('reads_deepest_page'))
        add(['reads_first_page', 'reads_deepest_page'], 'Reads per page', int(ev.reads_first_page) + ' → ' + blocks(ev.reads_deepest_page) +
          ' from the first to the deepest page' + (ev.reads_first_page > 0 ? ' (×' + num(ev.reads_deepest_page / ev.reads_first_page, 1) + ')' : ''));
      if (has('ms_first_page') || has('ms_deepest_page'))
        add(['ms_first_page', 'ms_deepest_page'], 'Time per page', ms(ev.ms_first_page) + ' → ' + ms(ev.ms_deepest_page));
      if (Array.isArray(ev.pages))
        add('pages', 'Pages seen', ev.pages.map((p) => 'OFFSET ' + int(p.offset) + ': ' + blocks(p.reads) + ', ' + ms(p.mean_ms) +
          (p.executions != null ? ' (' + plural(p.executions, 'call') + ')' : '')).join('; '));
      break;
    case 'repeated_query':
      if (has('identical_executions')) add('identical_executions', 'Identical executions', int(ev.identical_executions) + ' with the same arguments');
      if (has('requests')) add('requests', 'Requests', plural(ev.requests, 'request'));
      if (has('window_s')) add('window_s', 'Within', num(ev.window_s, 1) + ' s');
      if (has('time_ms')) add('time_ms', 'Database time', ms(ev.time_ms));
      if (has('rows_per_call')) add('rows_per_call', 'Rows per call', num(ev.rows_per_call, 1));
      break;
    case 'over_fetching':
      if (has('columns')) add('columns', 'Columns returned', int(ev.columns) + (ev.select_star ? ' (SELECT *)' : ''));
      if (has('select_star')) seen.add('select_star');
      if (has('row_width_bytes')) add('row_width_bytes', 'Row width', bytes(ev.row_width_bytes));
      if (has('rows_per_call')) add('rows_per_call', 'Rows per call', num(ev.rows_per_call, 1));
      if (has('bytes_per_call')) add('bytes_per_call', 'Data per call', bytes(ev.bytes_per_call));
      break;
    case 'large_nested_read':
      if (has('relations')) add('relations', 'Relations read', int(ev.relations));
      if (has('rows_per_call')) add('rows_per_call', 'Rows per call', int(ev.rows_per_call));
      if (has('bytes_per_call')) add('bytes_per_call', 'Data per call', bytes(ev.bytes_per_call));
      if (has('reads_per_call')) add('reads_per_call', 'Reads', blocks(ev.reads_per_call) + ' read per call');
      if (has('calls')) add('calls', 'Executions', int(ev.calls));
      break;
    case 'frequent_errors':
      if (has('errors')) add('errors', 'Failed executions', int(ev.errors) + (has('executions') ? ' of ' + int(ev.executions) : ''));
      if (has('executions')) seen.add('executions');
      if (has('failed_share')) add('failed_share', 'Failed share', pct(ev.failed_share));
      if (Array.isArray(ev.sqlstates)) add('sqlstates', 'Errors by SQLSTATE', ev.sqlstates.map((e) =>
        String(e.sqlstate) + (e.condition ? ' ' + String(e.condition) : '') + ': ' + int(e.errors)).join(', '));
      break;
    default:
    }
    // keys shared by every kind
    if (has('unindexed_foreign_key')) add('unindexed_foreign_key', 'Foreign key without an index', String(ev.unindexed_foreign_key));
    if (has('measured')) add('measured', 'Measured at detection', measuredText(ev.measured));
    if (has('before')) add('before', 'Before the change', measuredText(ev.before));
    if (has('after')) add('after', 'After the change', measuredText(ev.after));
    if (has('reopened_after')) add('reopened_after', 'Came back', 'after it had resolved at ' + when(ev.reopened_after));
    if (has('events_lost')) add('events_lost', 'Executions missed by the collector', int(ev.events_lost) + ' in this window (the counts above may be low)');
    // anything else: labelled, never JSON
    for (const [k, v] of Object.entries(ev)) if (!seen.has(k)) add(k, cap(words(k)), generic(v));
    return out;
  }

  function render(f, ctx) {
    const frag = document.createDocumentFragment();
    const list = items(f, ctx);
    if (!list.length) return frag;
    const h = document.createElement('h5');
    h.textContent = 'Evidence';
    frag.appendChild(h);
    const dl = document.createElement('dl');
    dl.className = 'evidence';
    for (const it of list) {
      const dt = document.createElement('dt'); dt.textContent = it.label;
      const dd = document.createElement('dd'); dd.textContent = it.value;
      dl.appendChild(dt); dl.appendChild(dd);
    }
    frag.appendChild(dl);
    return frag;
  }

  // ---- the prompt: every open finding of the query in one text ----
  function callers(d) {
    const out = [];
    for (const a of d.attribution || []) {
      let s = null;
      if (a.prisma_model) s = 'Prisma ' + a.prisma_model + '.' + a.prisma_action + ' (prisma.' +
        a.prisma_model.charAt(0).toLowerCase() + a.prisma_model.slice(1) + '.' + a.prisma_action + ')';
      const where = [a.route && 'route ' + a.route, a.controller && 'controller ' + a.controller + (a.action ? '#' + a.action : ''),
        a.framework && 'framework ' + a.framework].filter(Boolean).join(', ');
      if (s && where) s += ', ' + where;
      else if (!s && where) s = where;
      else if (!s && a.application) s = 'application ' + a.application;
      if (s && !out.includes(s)) out.push(s + ' — ' + plural(a.calls, 'call'));
    }
    return out;
  }
  function advice(f, d, prisma) {
    const sug = String(f.suggestion || '');
    const tips = [];
    const ev = f.evidence || {};
    const cols = Array.isArray(ev.index_columns) ? ev.index_columns : [];
    switch (f.kind) {
    case 'n_plus_one':
      if (prisma && !/include/.test(sug))
        tips.push('With Prisma, load the relation in the parent call with `include` (or `relationLoadStrategy: "join"`) instead of one call per row.');
      if (!/ANY\(|IN \(/.test(sug)) tips.push('Otherwise batch: one query with WHERE <key> IN (…) / = ANY($1) over all the parent ids.');
      break;
    case 'missing_index':
      if (!f.fix_sql && cols.length) tips.push('Create an index on ' + rel(ev.relation) + ' (' + cols.join(', ') + ').');
      tips.push('After the index exists, the reads per call should drop to a few blocks; pg_insights resolves the finding by itself two polls later.');
      break;
    case 'offset_pagination':
      if (!/keyset|cursor/i.test(sug)) tips.push('Use keyset pagination: WHERE (sort columns) > (last row seen) ORDER BY … LIMIT n' + (prisma ? ' (Prisma `cursor`)' : '') + '.');
      break;
    case 'repeated_query':
      if (!/cache/i.test(sug)) tips.push('Cache the result or reuse it within the request.');
      break;
    case 'over_fetching':
      if (prisma && !/select/.test(sug)) tips.push('With Prisma, add `select: { … }` with just the fields you read.');
      break;
    case 'large_nested_read':
      if (prisma && !/take/.test(sug)) tips.push('With Prisma, narrow `include` with `select` and `take` on the relation.');
      break;
    default:
    }
    return tips;
  }
  function prompt(d) {
    // the cause first (a loop before the index it misses), then as the API ranks them
    const order = Object.keys(KINDS);
    const rank = (k) => (order.indexOf(k) < 0 ? order.length : order.indexOf(k));
    const open = (d.findings || []).filter((f) => f.status === 'open')
      .map((f, i) => ({ f, i })).sort((a, b) => rank(a.f.kind) - rank(b.f.kind) || a.i - b.i).map((x) => x.f);
    if (!open.length) return null;
    const s = d.stats || {};
    const prisma = (d.attribution || []).some((a) => a.prisma_model) || open.some((f) => /^prisma\./.test(f.attribution || ''));
    const L = [];
    L.push('Help me fix a PostgreSQL performance problem that pg_insights found in one query: ' +
      open.map((f) => KINDS[f.kind] || words(f.kind)).join(' and ') + '.');
    L.push('');
    L.push('Query (normalized; $1, $2, … are parameters):');
    L.push(d.shape.query);
    L.push('');
    const who = callers(d);
    if (who.length) L.push('Issued by: ' + who.join('; '));
    else if (open.find((f) => f.attribution)) L.push('Issued by: ' + open.find((f) => f.attribution).attribution);
    if ((d.shape.tables || []).length) L.push('Tables: ' + d.shape.tables.join(', '));
    const parent = open.find((f) => f.parent_query);
    if (parent) {
      L.push('It runs once per row of this parent query' + (parent.parent_model_action ? ' (' + parent.parent_model_action + ')' : '') + ':');
      L.push(parent.parent_query);
    }
    if (s.calls) {
      L.push('Measured from ' + when(d.from) + ' to ' + when(d.to) + ': ' + plural(s.calls, 'execution') + ', ' + ms(s.avg_ms) +
        ' on average, ' + blocks(s.reads_per_call) + ' read per call, ' + num(s.rows_per_call, 1) + (Number(s.rows_per_call) === 1 ? ' row' : ' rows') + ' per call.');
    }
    const fixes = [];
    const said = new Set(); // a fact two findings share is said once
    open.forEach((f, i) => {
      L.push('');
      L.push('Problem ' + (i + 1) + ' of ' + open.length + ': ' + (KINDS[f.kind] || words(f.kind)) + ' (' + (f.severity || 'info') + ')');
      for (const it of items(f, d.shape)) {
        const key = it.label + ': ' + it.value;
        if (it.label === 'Measured at detection' || said.has(key)) continue; // the measured line above says it
        said.add(key);
        L.push('- ' + key);
      }
      if (f.suggestion) L.push('What to change: ' + f.suggestion);
      for (const t of advice(f, d, prisma)) L.push('Also: ' + t);
      if (f.expected_impact) L.push('Expected impact: ' + f.expected_impact);
      if (f.fix_sql && !fixes.includes(f.fix_sql)) fixes.push(f.fix_sql);
    });
    if (fixes.length) {
      L.push('');
      L.push('SQL to run:');
      for (const x of fixes) L.push(x);
    }
    L.push('');
    L.push('Show me the change to make in the application code (and schema, if needed) for every problem above, ' +
      'and how to verify it with the same measurements.');
    return L.join('\n');
  }

  // ---- pg_insights' own statements: hidden unless asked for ----
  let showOwn = false;
  function mountOwnToggle(container, onChange) {
    const wrap = document.createElement('label');
    wrap.className = 'own-toggle';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.id = 'show-own';
    box.checked = showOwn;
    wrap.appendChild(box);
    wrap.appendChild(document.createTextNode(" Show pg_insights' own statements"));
    const note = document.createElement('span');
    note.id = 'own-hidden';
    note.className = 'muted small';
    wrap.appendChild(note);
    wrap.title = 'Statements on the insights schema, the demo\'s report queries and bare BEGIN / COMMIT / ROLLBACK';
    box.addEventListener('change', () => { showOwn = box.checked; onChange(); });
    container.appendChild(wrap);
  }
  function setHidden(n) {
    const note = document.getElementById('own-hidden');
    if (!note) return;
    note.textContent = !showOwn && n > 0 ? ' (' + plural(n, 'statement') + ' hidden)' : '';
    note.dataset.hidden = String(n || 0);
  }

  return { items, render, prompt, label, tagText, unbase64, mountOwnToggle, setHidden, showOwn: () => showOwn };
})();
