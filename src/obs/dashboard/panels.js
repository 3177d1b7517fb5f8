/**
 * The dashboard's panels, each rebuilt from the latest frame: headline tiles, servers with
 * their bars against limits, zones and how they are split, hot zones, shards, the autoscaler.
 */
import { $, ago, h, ms, n, pct, plural, usagePct } from './format.js';

function tile(label, value, unit, tone, title) {
  return h('div', { class: 'tile', dataset: { tone: tone || '' }, title }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value, unit ? h('small', {}, unit) : null));
}

export function renderTiles(f) {
  const p = f.point;
  const active = f.fleet.byState.active || 0;
  const suspect = f.fleet.byState.suspect || 0;
  const dead = f.departed.filter((d) => d.state === 'dead').length;
  const fleetTone = active === 0 || dead ? 'bad' : suspect ? 'warn' : '';
  $('tiles').replaceChildren(
    tile('decisions/s', n(p.decisionsPerSec), '', ''),
    tile('decision p99', ms(p.decisionP99Ms), 'ms', p.decisionP99Ms > 10 ? 'bad' : p.decisionP99Ms > 1 ? 'warn' : '', 'time for a shard to answer a batch, last 2 s'),
    tile('gateway batch p99', ms(p.gatewayP99Ms), 'ms', p.gatewayP99Ms > 20 ? 'warn' : ''),
    tile('servers active', `${n(active)}/${n(f.fleet.total)}`, dead ? `${dead} dead` : suspect ? `${suspect} suspect` : '', fleetTone),
    tile('seats taken', n(f.fleet.players), `room ${n(f.fleet.room)}`, active > 0 && f.fleet.room === 0 ? 'bad' : '', 'room: seats free under the admission limits of active servers'),
    tile('queue', n(f.queued), 'players', f.queued > 0 ? 'warn' : ''),
    tile('zones', n(f.zones.total), `${n(f.zones.split)} split`),
    tile('hot zones', n(f.hotZones.length), '', f.hotZones.length ? 'warn' : ''),
    tile('failures', n(f.totals.failuresDetected), `${n(f.totals.replaced.crashed || 0)} re-placed`, '', 'servers declared dead since start, and the players re-placed from them'),
    tile('event-loop lag', ms(p.loopLagP99Ms), 'ms p99', p.loopLagP99Ms > 100 ? 'bad' : p.loopLagP99Ms > 25 ? 'warn' : ''),
  );
}

/** A bar of `value` out of `max`, with a marker at `limit`; red at the limit, amber near it. */
function meter(label, text, value, max, limit) {
  const ratio = max > 0 ? Math.min(1, value / max) : 0;
  const near = limit > 0 ? value / limit : value > 0 ? 1 : 0;
  const tone = near >= 1 ? 'bad' : near >= 0.9 ? 'warn' : '';
  const mark = max > 0 ? Math.min(1, limit / max) : 0;
  return h(
    'div',
    { class: 'meter' },
    h('div', { class: 'head' }, h('span', {}, label), h('b', {}, text)),
    h('div', { class: 'bar', dataset: { tone } }, h('div', { class: 'fill', style: { width: `${ratio * 100}%` } }), h('div', { class: 'mark', style: { left: `calc(${mark * 100}% - 1px)` } })),
  );
}

export function renderServers(f, colours) {
  const rows = f.servers.map((s) => {
    const scale = Math.max(s.cap, s.players, 1);
    const silent = s.heartbeatAgeMs >= 1500 ? `silent ${(s.heartbeatAgeMs / 1000).toFixed(1)} s` : null;
    return h(
      'div',
      { class: 'server', dataset: { server: s.id, state: s.state } },
      h(
        'div',
        { class: 'who' },
        h('div', { class: 'name', title: s.id }, h('span', { class: 'swatch', style: { background: colours.of(s.id) } }), s.id),
        h('div', { class: 'meta' }, h('span', { class: 'pill', dataset: { state: s.state } }, s.state), h('span', {}, `weight ${s.weight}`), silent ? h('span', { class: 'silent' }, silent) : null),
      ),
      meter('players', `${n(s.players)} / ${n(s.limit)}`, s.players, scale, s.limit),
      meter('CPU', `${usagePct(s.cpu)} / ${pct(f.limits.cpu)}`, s.cpu, 1, f.limits.cpu),
      meter('memory', `${usagePct(s.memory)} / ${pct(f.limits.memory)}`, s.memory, 1, f.limits.memory),
    );
  });
  for (const d of f.departed) {
    const how =
      d.state === 'dead'
        ? [h('strong', {}, `declared dead ${ago(d.wallTime)}`), ` · ${plural(d.players, 'player')} re-placed in ${ms(d.failoverMs)} ms`, d.lost ? ` · ${n(d.lost)} lost` : '']
        : [h('strong', {}, `removed ${ago(d.wallTime)}`), ` · ${plural(d.players, 'player')} re-placed`];
    rows.push(
      h(
        'div',
        { class: 'server', dataset: { server: d.id, state: d.state } },
        h('div', { class: 'who' }, h('div', { class: 'name', title: d.id }, h('span', { class: 'swatch', style: { background: colours.of(d.id) } }), d.id), h('div', { class: 'meta' }, h('span', { class: 'pill', dataset: { state: d.state } }, d.state))),
        h('div', { class: 'gone' }, ...how),
      ),
    );
  }
  $('servers').replaceChildren(...(rows.length ? rows : [h('div', { class: 'empty' }, 'No game server has registered yet.')]));
  const parts = Object.entries(f.fleet.byState).map(([k, v]) => `${n(v)} ${k}`);
  if (f.fleet.listed < f.fleet.total) parts.push(`showing the ${n(f.fleet.listed)} that need a look first`);
  $('servers-summary').textContent = parts.join(' · ');
  $('limits').textContent = `limits: CPU ${pct(f.limits.cpu)} · memory ${pct(f.limits.memory)} · ${n(f.limits.playersPerServer)} players per weight unit · ${plural(f.shardCount, 'shard')}`;
}

export function renderZones(f, colours) {
  const z = f.zones;
  const walked = z.walkAt > 0;
  const note = !walked ? ' · per-server bars only for worlds small enough to walk' : f.wallTime - z.walkAt > 15_000 ? ` · bars as of ${ago(z.walkAt, f.wallTime)}` : '';
  $('zones-summary').textContent = `${n(z.total)} with players · ${n(z.players)} players · ${n(z.split)} split · busiest first${note}`;
  const max = Math.max(1, ...z.top.map((x) => x.population));
  const rows = z.top.map((zone) => {
    const held = Math.max(1, zone.servers.reduce((a, s) => a + s.players, 0));
    const spread = zone.serverCount;
    // The breakdown comes from the latest walk; without one, the servers are drawn as equal parts.
    const parts = zone.servers.length
      ? zone.servers.map((s) =>
          h('span', { class: s.open ? '' : 'closed', title: `${s.serverId}: ${plural(s.players, 'player')}${s.open ? '' : ' (closed to new joins: merging back)'}`, style: { width: `${(s.players / held) * 100}%`, background: colours.of(s.serverId) } }),
        )
      : Array.from({ length: Math.max(1, spread) }, () => h('span', { class: 'unknown', style: { width: `${100 / Math.max(1, spread)}%` } }));
    return h(
      'div',
      { class: 'zone', dataset: { zone: String(zone.zone), servers: String(spread) } },
      h('div', { class: 'zid' }, `zone ${zone.zone}`, zone.hot ? h('span', { class: 'flame', title: 'hot zone' }, '▲ hot') : null),
      h('div', { class: 'track' }, h('div', { class: 'stack', style: { width: `${Math.max(1.5, (zone.population / max) * 100)}%` } }, ...parts)),
      h('div', { class: 'zinfo' }, h('b', {}, n(zone.population)), spread > 1 ? ` · split ×${spread}` : spread === 1 ? ' · 1 server' : ''),
    );
  });
  $('zones').replaceChildren(...(rows.length ? rows : [h('div', { class: 'empty' }, 'No players yet.')]));
}

export function renderHot(f) {
  const rows = f.hotZones.map((z) =>
    h(
      'div',
      { class: 'hotzone', dataset: { zone: String(z.zone) } },
      h('div', { class: 'hz-head' }, h('b', {}, `zone ${z.zone}`), h('span', { class: 'num' }, `${n(z.joinRate)} joins/s · usually ${n(z.baseline)}`)),
      h('div', { class: 'hz-plan' }, z.plan ? `pre-split over ${plural(z.plan.servers, 'server')} · holding up to ${plural(z.plan.reserve, 'seat')}` : 'mitigation: pre-split and reserved seats', ` · hot since ${ago(z.sinceWallTime, f.wallTime)}`),
    ),
  );
  $('hot').replaceChildren(...(rows.length ? rows : [h('div', { class: 'empty' }, 'None: every zone near its usual join rate.')]));
}

export function renderShards(f) {
  const rows = f.shards.map((s) =>
    h(
      'div',
      { class: 'shard', dataset: { shard: String(s.shard), stalled: String(s.inFlightMs > 1000) } },
      h('span', {}, `shard ${s.shard}`),
      meter('busy', pct(s.busy), s.busy, 1, 0.9),
      h('span', { class: 'sinfo' }, s.inFlightMs > 1000 ? h('b', { class: 'bad' }, `stalled ${(s.inFlightMs / 1000).toFixed(1)} s`) : `${s.meanBatch} req/batch`, s.restarts ? ` · ${plural(s.restarts, 'restart')}` : ''),
    ),
  );
  $('shards').replaceChildren(...(rows.length ? rows : [h('div', { class: 'empty' }, 'No shard figures.')]));
}

export function renderScale(f) {
  const a = f.scale;
  if (!a) {
    $('scale').replaceChildren(h('div', { class: 'empty' }, 'No autoscaler decision yet (scale decisions appear here and in the events).'));
    return;
  }
  if (a.mode === 'off') {
    $('scale').replaceChildren(h('div', { class: 'empty' }, 'Autoscaler off: hot zones are still detected and mitigated.'));
    return;
  }
  const max = Math.max(a.desired, a.actual + (a.pending || 0), 1);
  const seg = (cls, value, title) => (value > 0 ? h('span', { class: cls, title, style: { width: `${(value / max) * 100}%` } }) : null);
  const verdict = a.desired > a.actual + (a.pending || 0) ? 'bad' : a.desired < a.actual ? 'info' : 'ok';
  $('scale').replaceChildren(
    h('div', { class: 'scale-head' }, h('b', { dataset: { tone: verdict } }, `${n(a.actual)} → ${n(a.desired)}`), h('span', {}, ` capacity units, ${a.mode}${a.direction ? `, ${a.direction === 'hold' ? 'holding' : `scaling ${a.direction}`}` : ''}`)),
    h('div', { class: 'capacity' }, seg('active', a.actual, 'active'), seg('pending', a.pending || 0, 'booting'), h('i', { class: 'want', style: { left: `calc(${(a.desired / max) * 100}% - 1px)` }, title: 'desired' })),
    h(
      'div',
      { class: 'scale-meta' },
      a.pending ? `${n(a.pending)} booting · ` : '',
      a.draining ? `${n(a.draining)} draining · ` : '',
      a.utilisation !== undefined ? `utilisation ${pct(a.utilisation)} · ` : '',
      `${a.reason} · ${ago(a.wallTime, f.wallTime)}`,
      a.lastError ? h('div', { class: 'bad' }, `last action failed: ${a.lastError}`) : null,
    ),
  );
}
