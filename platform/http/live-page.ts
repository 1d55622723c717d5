// The live page: one self-contained document (no external assets, no build step) that polls
// /topology and /metrics every second and redraws. Everything from the server is inserted
// with textContent, never as HTML: topic and stage names are data.

const style = `
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2330; background: #f7f8fa; }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
  h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
  h3 { font-size: .95rem; margin: 1rem 0 .4rem; color: #4a5368; }
  table { border-collapse: collapse; background: #fff; min-width: 40rem; }
  th, td { padding: .3rem .7rem; border-bottom: 1px solid #e3e6ec; text-align: right; }
  th.name, td.name { text-align: left; }
  th { background: #eef0f4; font-weight: 600; }
  .badge { display: inline-block; padding: 0 .5rem; border-radius: .6rem; font-size: .8rem; }
  .ok { background: #d8f3e0; color: #17643a; } .bad { background: #fbdada; color: #8a1c1c; }
  tr.paused td { background: #fff4d6; }
  #status { color: #6b7386; font-size: .85rem; } #process span { margin-right: 1.2rem; }
  .edges { color: #4a5368; font-size: .85rem; }
`;

const script = `
(() => {
  const $ = (id) => document.getElementById(id);
  let previous = null; // last topology, for rates
  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  };
  const num = (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US'));
  const rate = (n) => (n === null ? '–' : n.toFixed(1));
  // textColumns: indexes of left-aligned (text) columns; the others hold numbers.
  const table = (head, rows, textColumns) =>
    el('table', {}, el('thead', {}, el('tr', {}, ...head.map((h, i) =>
      el('th', textColumns.includes(i) ? { class: 'name' } : {}, h)))), el('tbody', {}, ...rows));

  function parseMetrics(text) {
    const out = new Map();
    for (const line of text.split('\\n')) {
      if (!line || line[0] === '#') continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})?\\s+(\\S+)/.exec(line);
      if (m) out.set(m[1] + (m[2] || ''), Number(m[3]));
    }
    return out;
  }
  const sumOf = (metrics, name) => {
    let total = 0, seen = false;
    for (const [k, v] of metrics) if (k === name || k.startsWith(name + '{')) { total += v; seen = true; }
    return seen ? total : null;
  };

  function stageRows(p, before, seconds) {
    const prior = new Map((before ? before.stages : []).map((s) => [s.stage, s]));
    return p.stages.map((s) => {
      const b = prior.get(s.stage);
      const inRate = b && seconds > 0 ? (s.eventsIn - b.eventsIn) / seconds : null;
      const outRate = b && seconds > 0 ? (s.eventsOut - b.eventsOut) / seconds : null;
      return el('tr', { 'data-stage': s.stage },
        el('td', { class: 'name' }, s.stage), el('td', { class: 'name' }, s.kind || ''),
        el('td', {}, num(s.pendingDemand)), el('td', {}, num(s.bufferedEvents)),
        el('td', {}, rate(inRate)), el('td', {}, rate(outRate)),
        el('td', {}, num(s.eventsIn)), el('td', {}, num(s.eventsOut)), el('td', {}, num(s.failures)));
    });
  }

  function partitionRows(p) {
    return p.partitions.map((q) =>
      el('tr', { 'data-partition': q.topic + '/' + q.partition, 'data-paused': q.paused, class: q.paused ? 'paused' : '' },
        el('td', { class: 'name' }, q.topic), el('td', {}, q.partition),
        el('td', { class: 'name' }, q.paused ? 'paused' : 'flowing'), el('td', {}, num(q.lag)),
        el('td', {}, num(q.bufferedEvents)), el('td', {}, num(q.committed)), el('td', {}, num(q.highWatermark)),
        el('td', {}, q.lastCommitAgeSeconds === null ? '–' : q.lastCommitAgeSeconds.toFixed(1) + ' s')));
  }

  function render(topology, metrics) {
    const now = Date.now();
    const root = $('pipelines');
    root.replaceChildren();
    for (const p of topology.pipelines) {
      const before = previous && previous.pipelines.find((x) => x.pipeline === p.pipeline);
      const seconds = before ? (p.at - before.at) / 1000 : 0;
      const section = el('section', { 'data-pipeline': p.pipeline },
        el('h2', {}, 'Pipeline ' + p.pipeline + ' ',
          el('span', { class: 'badge ' + (p.ready ? 'ok' : 'bad'), id: 'ready-' + p.pipeline }, p.ready ? 'ready' : 'not ready')),
        el('h3', {}, 'Stages'),
        table(['stage', 'kind', 'pending demand', 'buffered', 'in/s', 'out/s', 'events in', 'events out', 'failures'],
          stageRows(p, before, seconds), [0, 1]));
      if (p.subscriptions.length > 0) {
        section.append(el('p', { class: 'edges' }, 'Subscriptions: ' + p.subscriptions.map((s) => s.from + ' → ' + s.to).join(', ')));
      }
      const paused = p.partitions.filter((q) => q.paused).length;
      section.append(el('h3', {}, 'Partitions (' + p.partitions.length + ', ' + paused + ' paused)'),
        table(['topic', 'partition', 'state', 'lag', 'buffered', 'committed', 'high watermark', 'last commit'], partitionRows(p), [0, 2]));
      root.append(section);
    }
    if (topology.pipelines.length === 0) root.append(el('p', {}, 'No pipeline is running.'));
    if (metrics) {
      const rss = sumOf(metrics, 'process_resident_memory_bytes');
      const lag = sumOf(metrics, 'nodejs_eventloop_lag_p99_seconds');
      const sunk = sumOf(metrics, 'kafka_stages_sink_records_total');
      const dead = sumOf(metrics, 'kafka_stages_dead_lettered_total');
      $('process').replaceChildren(
        el('span', {}, 'RSS ' + (rss === null ? '–' : (rss / 1048576).toFixed(0) + ' MiB')),
        el('span', {}, 'event loop p99 ' + (lag === null ? '–' : (lag * 1000).toFixed(1) + ' ms')),
        el('span', {}, 'records produced ' + num(sunk)),
        el('span', {}, 'dead-lettered ' + num(dead)));
    }
    previous = topology;
    $('status').textContent = 'updated ' + new Date(now).toLocaleTimeString();
  }

  async function tick() {
    try {
      const [t, m] = await Promise.all([
        fetch('topology', { cache: 'no-store' }).then((r) => r.json()),
        fetch('metrics', { cache: 'no-store' }).then((r) => r.text()).catch(() => null),
      ]);
      render(t, m === null ? null : parseMetrics(m));
    } catch (error) {
      $('status').textContent = 'cannot reach the server: ' + error;
    }
  }
  tick();
  setInterval(tick, 1000);
})();
`;

/** The HTML of `/`. */
export const livePage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kafka-stages</title>
<style>${style}</style>
</head>
<body>
<h1>kafka-stages</h1>
<div id="status">loading…</div>
<div id="process"></div>
<div id="pipelines"></div>
<script>${script}</script>
</body>
</html>
`;
