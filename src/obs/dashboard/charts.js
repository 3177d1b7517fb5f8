/* global window */
/**
 * The throughput and latency charts (uPlot, served from node_modules as a global). The
 * legend shows the latest values unless the cursor is over a chart.
 */
import { $, ms, n } from './format.js';

const HISTORY = 300;
const HEIGHT = 200;
const axis = { stroke: '#8b949e', grid: { stroke: '#2a313c', width: 1 }, ticks: { stroke: '#2a313c', width: 1 } };

function chart(el, rows) {
  const opts = {
    width: Math.max(300, el.clientWidth),
    height: HEIGHT,
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
    axes: [axis, { ...axis, size: 56 }],
    series: [{}, ...rows.map((r) => ({ label: r.label, stroke: r.colour, width: 2, fill: r.fill, points: { show: false }, value: (_u, v) => (v === null || v === undefined ? '–' : r.value(v)) }))],
  };
  return new window.uPlot(opts, [[]].concat(rows.map(() => [])), el);
}

export class Charts {
  constructor() {
    this.series = { t: [], dec: [], gw: [], wait: [], p50: [], p99: [], gp99: [], lag: [] };
    this.throughput = chart($('chart-throughput'), [
      { label: 'decisions/s', colour: '#58a6ff', fill: 'rgba(88,166,255,.12)', value: n },
      { label: 'gateway requests/s', colour: '#3fb950', value: n },
      { label: 'queued or refused/s', colour: '#f85149', fill: 'rgba(248,81,73,.15)', value: n },
    ]);
    this.latency = chart($('chart-latency'), [
      { label: 'decision p50', colour: '#3fb950', value: ms },
      { label: 'decision p99', colour: '#58a6ff', value: ms },
      { label: 'gateway batch p99', colour: '#bc8cff', value: ms },
      { label: 'event-loop lag p99', colour: '#d29922', value: ms },
    ]);
    window.addEventListener('resize', () => {
      for (const [u, id] of [[this.throughput, 'chart-throughput'], [this.latency, 'chart-latency']]) u.setSize({ width: Math.max(300, $(id).clientWidth), height: HEIGHT });
    });
  }

  reset(points) {
    for (const k of Object.keys(this.series)) this.series[k].length = 0;
    for (const p of points) this.push(p);
  }

  push(p) {
    const s = this.series;
    s.t.push(p.t);
    s.dec.push(p.decisionsPerSec);
    s.gw.push(p.gatewayPerSec);
    s.wait.push(p.waitingPerSec);
    s.p50.push(p.decisionP50Ms);
    s.p99.push(p.decisionP99Ms);
    s.gp99.push(p.gatewayP99Ms);
    s.lag.push(p.loopLagP99Ms);
    if (s.t.length > HISTORY) for (const k of Object.keys(s)) s[k].shift();
  }

  draw() {
    const s = this.series;
    this.throughput.setData([s.t, s.dec, s.gw, s.wait]);
    this.latency.setData([s.t, s.p50, s.p99, s.gp99, s.lag]);
    const last = s.t.length - 1;
    for (const u of [this.throughput, this.latency]) if (last >= 0 && (u.cursor.idx === null || u.cursor.idx === undefined)) u.setLegend({ idx: last });
  }
}
