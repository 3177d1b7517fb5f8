/* global document, window, location, WebSocket, uPlot, requestAnimationFrame */
/**
 * zonelb's live dashboard. Plain browser script, no build step: it is served as is by
 * `zonelb serve` (src/obs/dashboard-assets.ts) next to uPlot from node_modules.
 *
 * Feed (WebSocket /v1/dashboard, JSON): `hello` (chart history, recent events, latest frame),
 * then `frame` every second and `event` as each control-plane event happens. Names and ids are
 * inserted as text nodes only: server ids come from the network.
 */
(function () {
  'use strict';

  const HISTORY = 300;
  const $ = (id) => document.getElementById(id);

  /** Builds an element: h('div', { class: 'x', dataset: { state } }, child, 'text', …). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'style') Object.assign(el.style, v);
      else el.setAttribute(k, String(v));
    }
    for (const c of children) if (c !== undefined && c !== null && c !== false) el.append(c instanceof window.Node ? c : String(c));
    return el;
  }

  const fmt = new Intl.NumberFormat('en-US');
  const n = (x) => fmt.format(Math.round(x));
  const pct = (x) => `${Math.round(x * 100)}%`;
  const ms = (x) => (x >= 100 ? `${Math.round(x)}` : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  const clock = (t) => new Date(t).toTimeString().slice(0, 8);
  const ago = (t) => {
    const s = Math.max(0, Math.round((Date.now() - t) / 1000));
    return s < 60 ? `${s} s ago` : `${Math.floor(s / 60)} min ${s % 60} s ago`;
  };

  /** A stable colour per server id, so a server keeps its colour in every zone bar. */
  function colourOf(id) {
    let x = 2166136261;
    for (let i = 0; i < id.length; i++) x = Math.imul(x ^ id.charCodeAt(i), 16777619);
    return `hsl(${(x >>> 0) % 360} 62% 58%)`;
  }

  // ------------------------------------------------------------------ charts

  const series = { t: [], dec: [], gw: [], wait: [], p50: [], p99: [], gp99: [], lag: [] };

  function pushPoint(p) {
    series.t.push(p.t);
    series.dec.push(p.decisionsPerSec);
    series.gw.push(p.gatewayPerSec);
    series.wait.push(p.waitingPerSec);
    series.p50.push(p.decisionP50Ms);
    series.p99.push(p.decisionP99Ms);
    series.gp99.push(p.gatewayP99Ms);
    series.lag.push(p.loopLagP99Ms);
    if (series.t.length > HISTORY) for (const k of Object.keys(series)) series[k].shift();
  }

  const axis = { stroke: '#8b949e', grid: { stroke: '#2a313c', width: 1 }, ticks: { stroke: '#2a313c', width: 1 } };
  function chart(el, rows) {
    const opts = {
      width: Math.max(300, el.clientWidth),
      height: 190,
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [axis, { ...axis, size: 56 }],
      series: [{}, ...rows.map((r) => ({ label: r.label, stroke: r.colour, width: 2, fill: r.fill, points: { show: false }, value: (u, v) => (v === null || v === undefined ? '–' : r.value(v)) }))],
    };
    return new uPlot(opts, [[]].concat(rows.map(() => [])), el);
  }

  let throughput;
  let latency;
  function initCharts() {
    throughput = chart($('chart-throughput'), [
      { label: 'decisions/s', colour: '#58a6ff', fill: 'rgba(88,166,255,.12)', value: n },
      { label: 'gateway requests/s', colour: '#3fb950', value: n },
      { label: 'queued or refused/s', colour: '#f85149', value: n },
    ]);
    latency = chart($('chart-latency'), [
      { label: 'decision p50', colour: '#3fb950', value: ms },
      { label: 'decision p99', colour: '#58a6ff', value: ms },
      { label: 'gateway batch p99', colour: '#bc8cff', value: ms },
      { label: 'event-loop lag p99', colour: '#d29922', value: ms },
    ]);
    window.addEventListener('resize', () => {
      for (const [u, el] of [[throughput, $('chart-throughput')], [latency, $('chart-latency')]]) u.setSize({ width: Math.max(300, el.clientWidth), height: 190 });
    });
  }

  function drawCharts() {
    throughput.setData([series.t, series.dec, series.gw, series.wait]);
    latency.setData([series.t, series.p50, series.p99, series.gp99, series.lag]);
  }

  // ------------------------------------------------------------------ panels

  function tile(label, value, unit, tone) {
    return h('div', { class: 'tile', dataset: { tone: tone || '' } }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value, unit ? h('small', {}, unit) : null));
  }

  function renderTiles(f) {
    const p = f.point;
    const active = f.servers.filter((s) => s.state === 'active').length;
    const seats = f.servers.reduce((a, s) => a + s.players, 0);
    const room = f.servers.filter((s) => s.state === 'active').reduce((a, s) => a + Math.max(0, s.limit - s.players), 0);
    const down = f.departed.filter((d) => d.state === 'dead').length;
    const suspect = f.servers.filter((s) => s.state === 'suspect').length;
    $('tiles').replaceChildren(
      tile('decisions/s', n(p.decisionsPerSec)),
      tile('decision p99', ms(p.decisionP99Ms), 'ms', p.decisionP99Ms > 5 ? 'warn' : ''),
      tile('gateway batch p99', ms(p.gatewayP99Ms), 'ms', p.gatewayP99Ms > 10 ? 'warn' : ''),
      tile('servers active', `${active}/${f.servers.length}`, down ? `${down} dead` : suspect ? `${suspect} suspect` : '', down ? 'bad' : suspect ? 'warn' : ''),
      tile('seats taken', n(seats), `room ${n(room)}`, active > 0 && room === 0 ? 'bad' : ''),
      tile('queue', n(f.queued), 'players', f.queued > 0 ? 'warn' : ''),
      tile('zones', n(f.zones.total), `${f.zones.split} split`),
      tile('hot zones', String(f.hotZones.length), '', f.hotZones.length ? 'bad' : ''),
      tile('failures', n(f.totals.failuresDetected), `${n(f.totals.replaced.crashed || 0)} re-placed`),
      tile('event-loop lag', ms(p.loopLagP99Ms), 'ms p99', p.loopLagP99Ms > 50 ? 'warn' : ''),
    );
  }

  /** A bar of `value` against `max`, with a marker at `limit`; tone from how close value is to limit. */
  function meter(label, text, value, max, limit) {
    const ratio = max > 0 ? Math.min(1, value / max) : 0;
    const near = limit > 0 ? value / limit : value > 0 ? 1 : 0;
    const tone = near >= 1 ? 'bad' : near >= 0.85 ? 'warn' : '';
    return h(
      'div',
      { class: 'meter' },
      h('div', { class: 'head' }, h('span', {}, label), h('b', {}, text)),
      h('div', { class: 'bar', dataset: { tone } }, h('div', { class: 'fill', style: { width: `${ratio * 100}%` } }), h('div', { class: 'mark', style: { left: `calc(${Math.min(1, max > 0 ? limit / max : 0) * 100}% - 1px)` } })),
    );
  }

  function renderServers(f) {
    const rows = f.servers.map((s) => {
      const cap = Math.max(s.cap, s.players, 1);
      return h(
        'div',
        { class: 'server', dataset: { server: s.id, state: s.state } },
        h('div', {}, h('div', { class: 'name', title: s.id }, s.id), h('div', { class: 'meta' }, h('span', { class: 'pill', dataset: { state: s.state } }, s.state), h('span', {}, `weight ${s.weight}`), s.heartbeatAgeMs > 1500 ? h('span', {}, `silent ${(s.heartbeatAgeMs / 1000).toFixed(1)} s`) : null)),
        meter('players', `${n(s.players)} / ${n(s.limit)}`, s.players, cap, s.limit),
        meter('CPU', `${pct(s.cpu)} / ${pct(f.limits.cpu)}`, s.cpu, 1, f.limits.cpu),
        meter('memory', `${pct(s.memory)} / ${pct(f.limits.memory)}`, s.memory, 1, f.limits.memory),
      );
    });
    for (const d of f.departed) {
      const how =
        d.state === 'dead'
          ? [h('strong', {}, `declared dead ${ago(d.wallTime)}`), ` · ${n(d.players)} players re-placed in ${ms(d.failoverMs)} ms`, d.lost ? ` · ${n(d.lost)} lost` : '']
          : [h('strong', {}, `removed ${ago(d.wallTime)}`), ` · ${n(d.players)} players re-placed`];
      rows.push(h('div', { class: 'server', dataset: { server: d.id, state: d.state } }, h('div', {}, h('div', { class: 'name', title: d.id }, d.id), h('div', { class: 'meta' }, h('span', { class: 'pill', dataset: { state: d.state } }, d.state))), h('div', { class: 'gone' }, ...how)));
    }
    $('servers').replaceChildren(...(rows.length ? rows : [h('div', { class: 'empty' }, 'No game server has registered yet.')]));
    const byState = {};
    for (const s of f.servers) byState[s.state] = (byState[s.state] || 0) + 1;
    $('servers-summary').textContent = Object.entries(byState).map(([k, v]) => `${v} ${k}`).join(' · ');
  }

  function renderZones(f) {
    const z = f.zones;
    $('zones-summary').textContent = `${n(z.total)} with players · ${n(z.players)} players · ${z.split} split · busiest first`;
    const max = Math.max(1, ...z.top.map((x) => x.population));
    const rows = z.top.map((zone) => {
      const total = Math.max(1, zone.servers.reduce((a, s) => a + s.players, 0));
      const width = (zone.population / max) * 100;
      return h(
        'div',
        { class: 'zone', dataset: { zone: String(zone.zone), servers: String(zone.servers.length) } },
        h('div', { class: 'zid' }, `zone ${zone.zone}`, zone.hot ? h('span', { class: 'flame', title: 'hot zone' }, '▲ hot') : null),
        h(
          'div',
          { class: 'stack', style: { width: `${Math.max(2, width)}%` } },
          ...zone.servers.map((s) => h('span', { class: s.open ? '' : 'closed', title: `${s.serverId}: ${s.players} players${s.open ? '' : ' (closed to new joins)'}`, style: { width: `${(s.players / total) * 100}%`, background: colourOf(s.serverId) } })),
        ),
        h('div', { class: 'zinfo' }, `${n(zone.population)} · ${zone.servers.length === 1 ? '1 server' : `split ×${zone.servers.length}`}`),
      );
    });
    $('zones').replaceChildren(...(rows.length ? rows : [h('div', { class: 'empty' }, 'No players yet.')]));
  }

  function renderHot(f) {
    const rows = f.hotZones.map((z) => h('div', { class: 'hotzone', dataset: { zone: String(z.zone) } }, h('b', {}, `zone ${z.zone}`), h('span', { class: 'num' }, `${n(z.joinRate)} joins/s vs ${n(z.baseline)} usual · ${ago(z.sinceWallTime)}`)));
    $('hot').replaceChildren(...(rows.length ? rows : [h('div', { class: 'empty' }, 'None: every zone near its usual join rate.')]));
  }

  function renderShards(f) {
    const rows = f.shards.map((s) =>
      h(
        'div',
        { class: 'shard', dataset: { shard: String(s.shard) } },
        h('span', {}, `shard ${s.shard}`),
        meter('busy', pct(s.busy), s.busy, 1, 0.9),
        h('span', { class: 'sinfo' }, `${s.meanBatch} req/batch${s.inFlightMs > 1000 ? ` · stalled ${(s.inFlightMs / 1000).toFixed(1)} s` : ''}${s.restarts ? ` · ${s.restarts} restarts` : ''}`),
      ),
    );
    $('shards').replaceChildren(...(rows.length ? rows : [h('div', { class: 'empty' }, 'No shard figures.')]));
    const sc = f.scale;
    $('scale').replaceChildren(
      sc
        ? h('div', {}, h('b', {}, `${n(sc.desired)}`), ` desired · ${n(sc.actual)} actual (${sc.mode}) · ${sc.reason} · ${ago(sc.wallTime)}`)
        : h('div', { class: 'empty' }, 'No scale decision yet.'),
    );
  }

  // ------------------------------------------------------------------ event feed

  const EVENT = {
    'server-registered': ['+', 'ok', (e) => `${e.serverId} joined (weight ${e.weight})`],
    'server-recovered': ['↺', 'ok', (e) => `${e.serverId} recovered`],
    'server-draining': ['↘', 'info', (e) => `${e.serverId} draining`],
    'server-suspect': ['?', 'warn', (e) => `${e.serverId} suspect: heartbeats late`],
    'server-dead': ['✕', 'bad', (e) => `${e.serverId} declared dead: ${n(e.players)} players re-placed in ${ms(e.failoverMs)} ms${e.lost ? `, ${n(e.lost)} lost` : ''}`],
    'server-removed': ['−', 'info', (e) => `${e.serverId} removed: ${n(e.players)} players re-placed`],
    'zone-split': ['⇉', 'info', (e) => `zone ${e.zone} split: now on ${e.servers} servers`],
    'zone-merged': ['⇇', 'info', (e) => `zone ${e.zone} merged back: ${e.servers} servers open`],
    'hot-zone': ['▲', 'warn', (e) => (e.hot ? `zone ${e.zone} is hot: ${n(e.joinRate)} joins/s vs ${n(e.baseline)} usual` : `zone ${e.zone} cooled down`)],
    scale: ['⚖', 'info', (e) => `scale ${e.mode}: want ${n(e.desired)}, have ${n(e.actual)} (${e.reason})`],
  };

  function feedRow(item, fresh) {
    const [icon, tone, text] = EVENT[item.type] || ['·', '', () => item.type];
    return h('li', { class: fresh ? 'fresh' : '', dataset: { type: item.type, tone } }, h('span', { class: 'time' }, clock(item.wallTime)), h('span', {}, icon), h('span', { class: 'what' }, text(item)));
  }

  function addEvent(item, fresh) {
    const feed = $('feed');
    feed.prepend(feedRow(item, fresh));
    while (feed.children.length > 200) feed.lastChild.remove();
  }

  // ------------------------------------------------------------------ connection

  let latest;
  let dirty = false;
  function render() {
    dirty = false;
    if (!latest) return;
    renderTiles(latest);
    renderServers(latest);
    renderZones(latest);
    renderHot(latest);
    renderShards(latest);
    drawCharts();
  }
  function schedule() {
    if (!dirty) {
      dirty = true;
      requestAnimationFrame(render);
    }
  }

  function setConn(state, text) {
    $('conn').dataset.state = state;
    $('conn-text').textContent = text;
  }

  function connect(delay) {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/dashboard`);
    ws.onopen = () => setConn('live', `live · ${location.host}`);
    ws.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      if (msg.t === 'hello') {
        for (const k of Object.keys(series)) series[k].length = 0;
        for (const p of msg.history) pushPoint(p);
        $('feed').replaceChildren();
        for (const item of msg.feed) addEvent(item, false);
        if (msg.frame) latest = msg.frame;
        schedule();
      } else if (msg.t === 'frame') {
        latest = msg;
        pushPoint(msg.point);
        schedule();
      } else if (msg.t === 'event') {
        addEvent(msg.item, true);
      }
    };
    ws.onclose = () => {
      setConn('down', 'disconnected, retrying…');
      window.setTimeout(() => connect(Math.min(10_000, delay * 2)), delay);
    };
  }

  initCharts();
  connect(500);
})();
