// The live page's script, sent inline (no external assets, no build step). It listens to
// /events (Server-Sent Events), draws each pipeline as a graph in SVG, plots the last five
// minutes, lists partitions, errors and operator actions, and sends the operator's actions
// to /control/* with the token typed into the page. Everything from the server is inserted
// as text (textContent, SVG text nodes), never as HTML: topic and stage names are data.
export const livePageScript = `
(() => {
  const $ = (id) => document.getElementById(id);
  const SVG = 'http://www.w3.org/2000/svg';
  const state = { control: { enabled: false, pipelines: [], recent: [] }, history: {}, errors: [], previous: null, last: null };
  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e.setAttribute(k, String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  };
  const svg = (tag, attrs, text) => {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = String(text);
    return e;
  };
  const num = (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US'));
  const rate = (n) => (n === null || !Number.isFinite(n) ? '–' : n >= 100 ? n.toFixed(0) : n.toFixed(1));
  const short = (pipeline, stage) => (stage.startsWith(pipeline + '.') ? stage.slice(pipeline.length + 1) : stage);
  const scopeText = (s) => (s.topic === undefined ? 'whole pipeline' : s.partition === undefined ? 'topic ' + s.topic : s.topic + '/' + s.partition);

  // ---- operator actions -------------------------------------------------------------
  const tokenInput = () => $('token');
  async function act(action, body) {
    const token = tokenInput() ? tokenInput().value.trim() : '';
    sessionStorage.setItem('kafka-stages-token', token);
    $('action-status').textContent = action + ' …';
    try {
      const res = await fetch('control/' + action, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: 'Bearer ' + token } : {}) },
        body: JSON.stringify(body),
      });
      const answer = await res.json().catch(() => ({}));
      const text = res.ok ? answer.message : res.status + ' ' + (answer.error ? answer.error.message : res.statusText);
      $('action-status').textContent = text;
      $('action-status').className = res.ok ? 'ok-text' : 'bad-text';
    } catch (error) {
      $('action-status').textContent = 'cannot reach the server: ' + error;
      $('action-status').className = 'bad-text';
    }
  }
  const button = (label, action, body, testId) =>
    state.control.enabled ? el('button', { type: 'button', 'data-action': testId || action, onclick: () => act(action, body) }, label) : null;
  const pausedScopes = (pipeline) => ((state.control.pipelines.find((p) => p.pipeline === pipeline) || {}).paused || []);
  const isPaused = (pipeline, scope) => pausedScopes(pipeline).some((s) => s.topic === scope.topic && s.partition === scope.partition);

  // ---- graph ------------------------------------------------------------------------
  function layout(p) {
    const names = p.stages.map((s) => s.stage);
    const edges = p.subscriptions.map((s) => ({ from: s.from, to: s.to }))
      .concat((p.hops || []).map((h) => ({ from: h.from, to: h.to, topic: h.topic })))
      .filter((e) => names.includes(e.from) && names.includes(e.to));
    const layer = new Map(names.map((n) => [n, 0]));
    for (let round = 0; round < names.length; round++) {
      let moved = false;
      for (const e of edges) if (layer.get(e.to) < layer.get(e.from) + 1) { layer.set(e.to, layer.get(e.from) + 1); moved = true; }
      if (!moved) break;
    }
    const columns = [];
    for (const n of names) (columns[layer.get(n)] = columns[layer.get(n)] || []).push(n);
    // A hop's edge carries its topic's name: the column it enters gets room for the label.
    const hopInto = new Set(edges.filter((e) => e.topic).map((e) => layer.get(e.to)));
    const W = 200, H = 78, GX = 60, GY = 22, GHOP = 210;
    const height = Math.max(1, ...columns.map((c) => c.length)) * (H + GY) + GY;
    const pos = new Map();
    let left = 10;
    columns.forEach((column, x) => {
      if (x > 0) left += hopInto.has(x) ? GHOP : GX;
      const top = (height - column.length * (H + GY) + GY) / 2;
      column.forEach((n, y) => pos.set(n, { x: left, y: top + y * (H + GY), w: W, h: H }));
      left += W;
    });
    return { edges, pos, width: left + 10, height };
  }

  function stageRates(p) {
    const before = state.previous && state.previous.pipelines.find((x) => x.pipeline === p.pipeline);
    const seconds = before ? (p.at - before.at) / 1000 : 0;
    const prior = new Map((before ? before.stages : []).map((s) => [s.stage, s]));
    const out = new Map();
    for (const s of p.stages) {
      const b = prior.get(s.stage);
      out.set(s.stage, {
        in: b && seconds > 0 ? Math.max(0, s.eventsIn - b.eventsIn) / seconds : null,
        out: b && seconds > 0 ? Math.max(0, s.eventsOut - b.eventsOut) / seconds : null,
      });
    }
    return out;
  }

  function graph(p) {
    const { edges, pos, width, height } = layout(p);
    const rates = stageRates(p);
    const g = svg('svg', { class: 'graph', width, height, viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': 'stages of ' + p.pipeline });
    const defs = svg('defs');
    const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#7b8497' }));
    defs.append(marker);
    g.append(defs);
    for (const e of edges) {
      const a = pos.get(e.from), b = pos.get(e.to);
      const x1 = a.x + a.w, y1 = a.y + a.h / 2, x2 = b.x - 2, y2 = b.y + b.h / 2, mx = (x1 + x2) / 2;
      g.append(svg('path', { d: 'M' + x1 + ',' + y1 + ' C' + mx + ',' + y1 + ' ' + mx + ',' + y2 + ' ' + x2 + ',' + y2,
        class: e.topic ? 'edge hop' : 'edge', 'data-edge': e.from + '->' + e.to, 'marker-end': 'url(#arrow)' }));
      if (e.topic) g.append(svg('text', { x: mx, y: (y1 + y2) / 2 - 6, class: 'hop-label', 'text-anchor': 'middle' }, 'via ' + e.topic));
    }
    const pausedHere = p.partitions.some((q) => q.paused);
    for (const s of p.stages) {
      const at = pos.get(s.stage), r = rates.get(s.stage);
      const role = s.role || { producer: 'source', producer_consumer: 'processor', consumer: 'sink' }[s.kind] || 'stage';
      const flow = role === 'source' ? 'out ' + rate(r.out) + '/s' : role === 'sink' ? 'in ' + rate(r.in) + '/s' : 'in ' + rate(r.in) + '/s · out ' + rate(r.out) + '/s';
      const node = svg('g', { class: 'node role-' + role + (role === 'source' && pausedHere ? ' paused' : ''), 'data-node': s.stage, transform: 'translate(' + at.x + ',' + at.y + ')' });
      node.append(svg('rect', { width: at.w, height: at.h, rx: 8 }));
      node.append(svg('text', { x: 10, y: 18, class: 'node-name' }, short(p.pipeline, s.stage)));
      node.append(svg('text', { x: at.w - 10, y: 18, class: 'node-role', 'text-anchor': 'end' }, role + (s.part ? ' · part ' + s.part : '')));
      node.append(svg('text', { x: 10, y: 40, class: 'node-rate', 'data-rate': s.stage }, flow));
      node.append(svg('text', { x: 10, y: 60, class: 'node-buf' }, 'demand ' + num(s.pendingDemand) + ' · buffered ' + num(s.bufferedEvents) + (s.failures ? ' · failed ' + num(s.failures) : '')));
      // Supervised stages (processors, batchers) say how often they were restarted after a crash.
      if (s.restarts) node.append(svg('text', { x: at.w - 10, y: 60, class: 'node-restarts', 'text-anchor': 'end', 'data-restarts': s.stage }, 'restarts ' + num(s.restarts)));
      g.append(node);
    }
    return g;
  }

  // ---- time plots -------------------------------------------------------------------
  function series(points, pick) {
    const out = [];
    for (let i = 1; i < points.length; i++) {
      const a = points[i - 1], b = points[i], dt = (b.at - a.at) / 1000;
      if (dt > 0) out.push({ at: b.at, v: pick(a, b, dt) });
    }
    return out;
  }
  function plot(title, lines, unit, id) {
    const W = 280, H = 80, now = Date.now();
    const first = Math.min(now, ...lines.flatMap((l) => l.data.slice(0, 1).map((d) => d.at)));
    const from = Math.max(now - 300000, first), span = Math.max(1000, now - from);
    const max = Math.max(1, ...lines.flatMap((l) => l.data.map((d) => d.v)));
    const box = el('figure', { class: 'plot', 'data-plot': id });
    const s = svg('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H });
    s.append(svg('rect', { width: W, height: H, class: 'plot-bg' }));
    for (const l of lines) {
      const pts = l.data.filter((d) => d.at >= from).map((d) => (((d.at - from) / span) * W).toFixed(1) + ',' + (H - 4 - (d.v / max) * (H - 20)).toFixed(1));
      if (pts.length > 0) s.append(svg('polyline', { points: pts.join(' '), class: 'line ' + l.cls }));
    }
    s.append(svg('text', { x: 4, y: 11, class: 'plot-max' }, 'max ' + rate(max) + unit));
    const latest = lines.map((l) => l.name + ' ' + rate(l.data.length ? l.data[l.data.length - 1].v : null) + unit).join(' · ');
    box.append(el('figcaption', {}, title + ' (last ' + Math.round(span / 1000) + ' s): ', el('span', { class: 'latest' }, latest)), s);
    return box;
  }
  function plots(p) {
    const points = state.history[p.pipeline] || [];
    return el('div', { class: 'plots' },
      plot('throughput', [
        { name: 'in', cls: 'in', data: series(points, (a, b, dt) => Math.max(0, b.in - a.in) / dt) },
        { name: 'out', cls: 'out', data: series(points, (a, b, dt) => Math.max(0, b.out - a.out) / dt) },
      ], '/s', 'throughput'),
      plot('lag', [{ name: 'lag', cls: 'lag', data: points.map((q) => ({ at: q.at, v: q.lag })) }], '', 'lag'),
      plot('dead-letters', [{ name: 'dead-lettered', cls: 'dead', data: series(points, (a, b, dt) => Math.max(0, b.deadLettered - a.deadLettered) / dt) }], '/s', 'dead-letters'));
  }

  // ---- tables -----------------------------------------------------------------------
  const table = (head, rows, cls) => el('table', { class: cls || '' }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))), el('tbody', {}, ...rows));
  function partitionTable(p) {
    const rows = p.partitions.map((q) => {
      const scope = { topic: q.topic, partition: q.partition };
      const why = q.operatorPaused ? 'paused by operator' : q.paused ? 'paused (back-pressure)' : 'flowing';
      return el('tr', { 'data-partition': q.topic + '/' + q.partition, 'data-paused': q.paused, class: q.paused ? 'paused' : '' },
        el('td', { class: 'name' }, q.topic), el('td', {}, q.partition), el('td', { class: 'name state' }, why),
        el('td', { class: 'name owner', title: q.owner || '' }, q.owner ? (q.owner.length > 24 ? q.owner.slice(0, 14) + '…' + q.owner.slice(-6) : q.owner) : '–'), el('td', {}, num(q.lag)), el('td', {}, num(q.bufferedEvents)),
        el('td', {}, num(q.committed)), el('td', {}, num(q.highWatermark)),
        el('td', {}, q.lastCommitAgeSeconds === null ? '–' : q.lastCommitAgeSeconds.toFixed(1) + ' s'),
        el('td', { class: 'name' }, q.operatorPaused ? button('resume', 'resume', { pipeline: p.pipeline, ...scope }, 'resume-partition') : button('pause', 'pause', { pipeline: p.pipeline, ...scope }, 'pause-partition')));
    });
    return table(['topic', 'partition', 'state', 'owner', 'lag', 'buffered', 'committed', 'high watermark', 'last commit', state.control.enabled ? 'action' : ''], rows, 'partitions');
  }
  function topicButtons(p) {
    const topics = [...new Set(p.partitions.map((q) => q.topic).concat((state.control.pipelines.find((c) => c.pipeline === p.pipeline) || {}).topics || []))];
    if (!state.control.enabled) return null;
    return el('div', { class: 'buttons' },
      isPaused(p.pipeline, {}) ? button('resume pipeline', 'resume', { pipeline: p.pipeline }, 'resume-pipeline') : button('pause pipeline', 'pause', { pipeline: p.pipeline }, 'pause-pipeline'),
      ...topics.map((t) => isPaused(p.pipeline, { topic: t })
        ? button('resume topic ' + t, 'resume', { pipeline: p.pipeline, topic: t }, 'resume-topic')
        : button('pause topic ' + t, 'pause', { pipeline: p.pipeline, topic: t }, 'pause-topic')));
  }
  // Submitted: leave the field, so the page redraws again (it holds still while one is edited).
  function done() { if (document.activeElement && document.activeElement.blur) document.activeElement.blur(); }
  function settingsForms(p) {
    const c = state.control.pipelines.find((x) => x.pipeline === p.pipeline);
    if (!state.control.enabled || !c) return null;
    if (!c.settings) return el('p', { class: 'note' }, 'Batch sizes and processor concurrency of this pipeline cannot be changed at run time.');
    const box = el('div', { class: 'settings' });
    for (const [name, b] of Object.entries(c.settings.batchers)) {
      const size = el('input', { type: 'number', min: 1, value: b.batchSize, 'data-setting': name + '.batchSize' });
      const timeout = el('input', { type: 'number', min: 1, value: b.batchTimeoutMs, 'data-setting': name + '.batchTimeoutMs' });
      box.append(el('form', { onsubmit: (e) => { e.preventDefault(); done(); act('set', { pipeline: p.pipeline, batcher: name, batchSize: Number(size.value), batchTimeoutMs: Number(timeout.value) }); } },
        'batcher ' + name + ': size ', size, ' timeout ms ', timeout, ' ', el('button', { type: 'submit', 'data-action': 'set-batcher' }, 'apply')));
    }
    if (c.settings.processors) {
      const n = el('input', { type: 'number', min: 1, value: c.settings.processors.concurrency, 'data-setting': 'processors.concurrency' });
      box.append(el('form', { onsubmit: (e) => { e.preventDefault(); done(); act('set', { pipeline: p.pipeline, concurrency: Number(n.value) }); } },
        'processors: concurrency ', n, ' ', el('button', { type: 'submit', 'data-action': 'set-processors' }, 'apply')));
    }
    return box;
  }

  // ---- render -----------------------------------------------------------------------
  function renderPipelines() {
    const snap = state.last;
    if (!snap) return;
    const root = $('pipelines');
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.setting : undefined;
    if (focused) return; // do not redraw a form the operator is typing into
    root.replaceChildren();
    for (const p of snap.pipelines) {
      const paused = p.partitions.filter((q) => q.paused).length;
      root.append(el('section', { 'data-pipeline': p.pipeline },
        el('h2', {}, 'Pipeline ' + p.pipeline + ' ', el('span', { class: 'badge ' + (p.ready ? 'ok' : 'bad'), id: 'ready-' + p.pipeline }, p.ready ? 'ready' : 'not ready'),
          pausedScopes(p.pipeline).length ? el('span', { class: 'badge warn' }, 'operator paused: ' + pausedScopes(p.pipeline).map(scopeText).join(', ')) : null),
        topicButtons(p), graph(p), plots(p),
        el('h3', {}, 'Partitions (' + p.partitions.length + ', ' + paused + ' paused)'), partitionTable(p),
        settingsForms(p)));
    }
    if (snap.pipelines.length === 0) root.append(el('p', {}, 'No pipeline is running.'));
    const proc = snap.process;
    $('process').replaceChildren(el('span', {}, 'RSS ' + (proc.rssBytes / 1048576).toFixed(0) + ' MiB'), el('span', {}, 'event loop ' + proc.eventLoopLagMs.toFixed(1) + ' ms'));
  }
  function renderLists() {
    $('errors').replaceChildren(...(state.errors.length ? state.errors.slice(-15).reverse().map((e) =>
      el('li', {}, new Date(e.at).toLocaleTimeString() + ' ' + e.count + ' ' + e.kind + ' ' + (e.kind === 'failed' ? 'in ' : 'to ') + e.where + (e.reason ? ' (' + e.reason + ')' : ''))) : [el('li', { class: 'note' }, 'none')]));
    const recent = state.control.recent || [];
    $('actions').replaceChildren(...(recent.length ? recent.slice(-15).reverse().map((a) =>
      el('li', { class: a.outcome, 'data-outcome': a.outcome }, new Date(a.at).toLocaleTimeString() + ' ' + a.action + ': ' + a.message)) : [el('li', { class: 'note' }, 'none')]));
    if ($('mode').dataset.enabled === String(state.control.enabled)) return; // keep what was typed
    $('mode').dataset.enabled = String(state.control.enabled);
    $('mode').replaceChildren(state.control.enabled
      ? el('span', {}, el('label', { for: 'token' }, 'control token '), el('input', { id: 'token', type: 'password', autocomplete: 'off', value: sessionStorage.getItem('kafka-stages-token') || '' }))
      : el('span', { class: 'badge bad', id: 'read-only' }, 'read only: started without CONTROL_TOKEN'));
  }

  const source = new EventSource('events');
  source.addEventListener('control', (e) => {
    state.control = JSON.parse(e.data);
    renderLists();
    renderPipelines();
  });
  source.addEventListener('history', (e) => { const h = JSON.parse(e.data); state.history = h.points; state.errors = h.errors; renderLists(); });
  source.addEventListener('errors', (e) => { state.errors = state.errors.concat(JSON.parse(e.data)).slice(-50); renderLists(); });
  source.addEventListener('action', () => {});
  source.addEventListener('snapshot', (e) => {
    const snap = JSON.parse(e.data);
    for (const [name, point] of Object.entries(snap.points)) {
      const list = (state.history[name] = state.history[name] || []);
      if (!list.length || list[list.length - 1].at < point.at) list.push(point);
      while (list.length && list[0].at < point.at - 300000) list.shift();
    }
    state.previous = state.last;
    state.last = snap;
    renderPipelines();
    $('status').textContent = 'live · updated ' + new Date(snap.at).toLocaleTimeString();
  });
  source.onerror = () => { $('status').textContent = 'disconnected; reconnecting…'; };
})();
`;
