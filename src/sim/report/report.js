/* global document, window, uPlot */
/**
 * zonelb simulation report: draws the charts from the run data embedded in the page
 * (<script id="zonelb-data" type="application/json">). Plain browser script, inlined into the
 * report by src/sim/report-html.ts next to uPlot from node_modules: the page needs no network.
 */
(function () {
  'use strict';

  const data = JSON.parse(document.getElementById('zonelb-data').textContent);
  const PALETTE = ['#1f5fd1', '#d1341f', '#2e9d4f', '#8a4fd1', '#d18a1f', '#1fa9b8', '#b81f8c', '#6b7a1f', '#5b6575', '#e0a400', '#333'];

  /** Charts: what each shows, from which series, scaled how. */
  const CHARTS = [
    { key: 'maxUtil', title: 'Busiest server’s load (100 % = at a limit)', scale: 100, unit: '%', limit: 100 },
    { key: 'placed', title: 'Players placed (dashed: players in the world)', world: true },
    { key: 'unplaced', title: 'Players without a seat (queued, retrying, or on a crashed server)' },
    { key: 'violating', title: 'Servers over a limit (most at once in each window)' },
    { key: 'servers', title: 'Servers taking players' },
    { key: 'denied', title: 'Joins refused or queued (per window)' },
    { key: 'handoffs', title: 'Handoffs to another server on a zone crossing (per window)' },
    { key: 'fragmentation', title: 'Fragmentation (1 = every zone on as few servers as it needs)' },
  ];

  function clock(seconds) {
    const s = Math.round(seconds);
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return h > 0 ? `${h}h${String(m).padStart(2, '0')}` : `${m}m${String(s % 60).padStart(2, '0')}`;
  }

  /** Draws the scenario's events as labelled vertical lines. */
  function marksPlugin(marks) {
    return {
      hooks: {
        draw: [
          (u) => {
            const ctx = u.ctx;
            ctx.save();
            ctx.font = `${Math.round(10 * window.devicePixelRatio)}px system-ui, sans-serif`;
            ctx.fillStyle = '#5b6575';
            ctx.strokeStyle = 'rgba(91,101,117,0.55)';
            ctx.setLineDash([4, 3]);
            let lastX = -Infinity;
            let row = 0;
            for (const m of marks) {
              const x = Math.round(u.valToPos(m.t, 'x', true));
              if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
              row = x - lastX < 90 * window.devicePixelRatio ? row + 1 : 0;
              lastX = x;
              ctx.fillText(m.kind, x + 3, u.bbox.top + 12 * window.devicePixelRatio * (row + 1));
            }
            ctx.restore();
          },
        ],
      },
    };
  }

  function chart(el, scenario, spec) {
    const runs = scenario.runs;
    const xs = runs[0].series.t;
    const series = [{ label: 'time', value: (u, v) => (v == null ? '' : clock(v)) }];
    const columns = [xs];
    runs.forEach((r, i) => {
      const ys = r.series[spec.key].map((v) => (spec.scale ? v * spec.scale : v));
      columns.push(ys);
      series.push({
        label: r.strategy,
        stroke: PALETTE[i % PALETTE.length],
        width: r.strategy.startsWith('zonelb') ? 2.2 : 1.2,
        value: (u, v) => (v == null ? '' : `${Math.round(v * 100) / 100}${spec.unit || ''}`),
      });
    });
    if (spec.world) {
      columns.push(runs[0].series.players);
      series.push({ label: 'in the world', stroke: '#000', width: 1, dash: [6, 4] });
    }
    if (spec.limit) {
      columns.push(xs.map(() => spec.limit));
      series.push({ label: 'limit', stroke: '#b42318', width: 1, dash: [2, 3] });
    }
    const width = Math.max(320, el.clientWidth || 560);
    const u = new uPlot(
      {
        title: spec.title,
        width,
        height: 240,
        scales: { x: { time: false } },
        axes: [{ values: (u, ticks) => ticks.map(clock) }, { size: 56 }],
        series,
        legend: { live: true },
        plugins: [marksPlugin(scenario.marks)],
      },
      columns,
      el,
    );
    return u;
  }

  const plots = [];
  for (const scenario of data.scenarios) {
    const host = document.getElementById(`charts-${scenario.name}`);
    if (!host || scenario.runs.length === 0) continue;
    for (const spec of CHARTS) {
      const el = document.createElement('div');
      el.className = 'chart';
      host.append(el);
      plots.push({ el, u: chart(el, scenario, spec) });
    }
  }
  window.addEventListener('resize', () => {
    for (const p of plots) p.u.setSize({ width: Math.max(320, p.el.clientWidth), height: 240 });
  });
})();
