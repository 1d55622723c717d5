import { livePageScript } from './live-page-script';

// The live page: one self-contained document (no external assets, no build step). Its
// script (live-page-script.ts) listens to /events and draws; this file holds the frame.

const style = `
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.2rem 1.5rem; color: #1d2330; background: #f7f8fa; }
  header { display: flex; gap: 1.5rem; align-items: baseline; flex-wrap: wrap; }
  h1 { font-size: 1.3rem; margin: 0; }
  h2 { font-size: 1.1rem; margin: 1.2rem 0 .5rem; }
  h3 { font-size: .95rem; margin: 1rem 0 .4rem; color: #4a5368; }
  table { border-collapse: collapse; background: #fff; min-width: 40rem; }
  th, td { padding: .25rem .6rem; border-bottom: 1px solid #e3e6ec; text-align: right; }
  th { background: #eef0f4; font-weight: 600; } td.name { text-align: left; }
  tr.paused td { background: #fff4d6; }
  .badge { display: inline-block; padding: 0 .5rem; margin-left: .4rem; border-radius: .6rem; font-size: .8rem; font-weight: normal; }
  .ok { background: #d8f3e0; color: #17643a; } .bad { background: #fbdada; color: #8a1c1c; } .warn { background: #ffe7b0; color: #6b4a00; }
  .ok-text { color: #17643a; } .bad-text { color: #8a1c1c; }
  #status, .note { color: #6b7386; font-size: .85rem; } #process span { margin-right: 1rem; color: #4a5368; }
  svg.graph { background: #fff; border: 1px solid #e3e6ec; border-radius: 6px; display: block; margin: .4rem 0; }
  .node rect { fill: #eef3ff; stroke: #7c93c9; stroke-width: 1.2; }
  .node.role-source rect { fill: #e7f6ee; stroke: #4f9b70; } .node.role-sink rect { fill: #f4ecfb; stroke: #9a73c2; }
  .node.role-batcher rect { fill: #fff6e5; stroke: #c99a3d; } .node.role-repartition rect { fill: #e8f7f8; stroke: #3d9aa3; }
  .node.paused rect { stroke: #d68a00; stroke-width: 3; stroke-dasharray: 6 3; }
  .node-name { font-weight: 600; font-size: 13px; } .node-role { fill: #6b7386; font-size: 11px; }
  .node-rate, .node-buf { font-size: 12px; fill: #2c3445; }
  .node-restarts { font-size: 12px; fill: #b3261e; font-weight: 600; }
  .edge { fill: none; stroke: #7b8497; stroke-width: 1.5; } .edge.hop { stroke: #3d9aa3; stroke-dasharray: 5 4; stroke-width: 2; }
  .hop-label { font-size: 11px; fill: #2f7f87; }
  .plots { display: flex; gap: 1rem; flex-wrap: wrap; margin: .5rem 0; }
  .plot { margin: 0; } .plot figcaption { font-size: .8rem; color: #4a5368; }
  .plot-bg { fill: #fff; stroke: #e3e6ec; } .plot-max { font-size: 10px; fill: #8a92a5; }
  .line { fill: none; stroke-width: 1.6; } .line.in { stroke: #2f6fd6; } .line.out { stroke: #2e9d5b; }
  .line.lag { stroke: #c77b00; } .line.dead { stroke: #c83b3b; }
  .buttons { margin: .4rem 0; } button { margin-right: .4rem; font: inherit; font-size: .85rem; padding: .1rem .6rem; cursor: pointer; }
  .settings form { margin: .3rem 0; } .settings input { width: 6rem; }
  .lists { display: flex; gap: 3rem; flex-wrap: wrap; } .lists ul { padding-left: 1.2rem; margin: .3rem 0; font-size: .85rem; }
  li.refused { color: #8a1c1c; } li.unchanged { color: #6b7386; }
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
<header>
<h1>kafka-stages</h1>
<div id="status">connecting…</div>
<div id="process"></div>
<div id="mode"></div>
<div id="action-status" aria-live="polite"></div>
</header>
<div id="pipelines"></div>
<div class="lists">
<div><h3>Recent errors</h3><ul id="errors"></ul></div>
<div><h3>Operator actions</h3><ul id="actions"></ul></div>
</div>
<script>${livePageScript}</script>
</body>
</html>
`;
