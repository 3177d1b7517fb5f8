/* global document */
/**
 * The event feed: one line per control-plane event, newest first. Zone splits and merges come
 * in bursts (a full fleet splits and merges zones every second), so those arriving within a
 * few seconds of each other share one line; a crash or a drain always gets its own. Chips
 * filter by kind.
 */
import { $, clock, h, ms, n, plural } from './format.js';

const KEEP = 200;
/** Zone changes this close together (ms) share a line. */
const ZONE_BURST_MS = 5000;

const KIND = {
  'server-registered': 'servers',
  'server-recovered': 'servers',
  'server-draining': 'servers',
  'server-suspect': 'servers',
  'server-dead': 'servers',
  'server-removed': 'servers',
  'zone-split': 'zones',
  'zone-merged': 'zones',
  'hot-zone': 'hot',
  scale: 'hot',
};

const EVENT = {
  'server-registered': ['+', 'ok', (e) => `${e.serverId} joined (weight ${e.weight})`],
  'server-recovered': ['↺', 'ok', (e) => `${e.serverId} recovered: heartbeats again`],
  'server-draining': ['↘', 'info', (e) => `${e.serverId} draining: no new players`],
  'server-suspect': ['?', 'warn', (e) => `${e.serverId} suspect: heartbeats late, no new players`],
  'server-dead': ['✕', 'bad', (e) => `${e.serverId} declared dead: ${plural(e.players, 'player')} re-placed in ${ms(e.failoverMs)} ms${e.lost ? `, ${n(e.lost)} lost` : ''}`],
  'server-removed': ['−', 'info', (e) => `${e.serverId} removed: ${plural(e.players, 'player')} re-placed`],
  'hot-zone': ['▲', 'warn', (e) => (e.hot ? `zone ${e.zone} is hot: ${n(e.joinRate)} joins/s against ${n(e.baseline)} usual` : `zone ${e.zone} cooled down`)],
  scale: ['⚖', 'info', (e) => `autoscaler (${e.mode}) wants ${n(e.desired)}, has ${n(e.actual)}: ${e.reason}`],
};

function list(zones) {
  const ids = [...zones.keys()].sort((a, b) => a - b);
  return ids.length <= 6 ? ids.join(', ') : `${ids.slice(0, 6).join(', ')}, …`;
}

export class Feed {
  constructor() {
    /** Newest first: { item } or { zones: { first, last, split: Map, merged: Map } }. */
    this.entries = [];
    this.filter = 'all';
    for (const chip of document.querySelectorAll('#feed-filter button')) {
      chip.addEventListener('click', () => {
        this.filter = chip.dataset.kind;
        for (const c of document.querySelectorAll('#feed-filter button')) c.setAttribute('aria-pressed', String(c === chip));
        this.renderAll();
      });
    }
  }

  /** Replaces the feed with `items` (oldest first), as the hello message carries them. */
  reset(items) {
    this.entries = [];
    for (const item of items) this.add(item, false);
    this.renderAll();
  }

  /** Adds one event; `live` draws it at once, with a flash. */
  add(item, live) {
    const top = this.entries[0];
    if (KIND[item.type] === 'zones') {
      if (top && top.zones && item.wallTime - top.zones.first <= ZONE_BURST_MS) {
        (item.type === 'zone-split' ? top.zones.split : top.zones.merged).set(item.zone, item.servers);
        top.zones.last = item.wallTime;
        if (live) this.redrawTop();
        return;
      }
      const zones = { first: item.wallTime, last: item.wallTime, split: new Map(), merged: new Map() };
      (item.type === 'zone-split' ? zones.split : zones.merged).set(item.zone, item.servers);
      this.entries.unshift({ zones });
    } else {
      this.entries.unshift({ item });
    }
    if (this.entries.length > KEEP) this.entries.length = KEEP;
    if (live) this.prepend(this.entries[0]);
  }

  kindOf(entry) {
    return entry.zones ? 'zones' : KIND[entry.item.type] || 'servers';
  }

  shown(entry) {
    return this.filter === 'all' || this.kindOf(entry) === this.filter;
  }

  row(entry, fresh) {
    if (entry.zones) {
      const z = entry.zones;
      const parts = [];
      if (z.split.size === 1 && z.merged.size === 0) {
        const [[zone, servers]] = [...z.split];
        parts.push(`zone ${zone} split: now on ${servers} servers`);
      } else if (z.merged.size === 1 && z.split.size === 0) {
        const [[zone, servers]] = [...z.merged];
        parts.push(`zone ${zone} merging back: ${plural(servers, 'server')} still open`);
      } else {
        if (z.split.size) parts.push(`${plural(z.split.size, 'zone')} split (${list(z.split)})`);
        if (z.merged.size) parts.push(`${plural(z.merged.size, 'zone')} merging back (${list(z.merged)})`);
      }
      return h('li', { class: fresh ? 'fresh' : '', dataset: { type: 'zones', tone: 'info' } }, h('span', { class: 'time' }, clock(z.last)), h('span', { class: 'icon' }, '⇉'), h('span', { class: 'what' }, parts.join(' · ')));
    }
    const item = entry.item;
    const [icon, tone, text] = EVENT[item.type] || ['·', '', () => item.type];
    return h('li', { class: fresh ? 'fresh' : '', dataset: { type: item.type, tone } }, h('span', { class: 'time' }, clock(item.wallTime)), h('span', { class: 'icon' }, icon), h('span', { class: 'what' }, text(item)));
  }

  prepend(entry) {
    if (!this.shown(entry)) return;
    const feed = $('feed');
    feed.querySelector('.empty')?.remove();
    feed.prepend(this.row(entry, true));
    while (feed.children.length > KEEP) feed.lastChild.remove();
  }

  redrawTop() {
    const entry = this.entries[0];
    if (!this.shown(entry)) return;
    const first = $('feed').firstElementChild;
    if (first && first.dataset.type === 'zones') first.replaceWith(this.row(entry, true));
    else this.prepend(entry);
  }

  renderAll() {
    const rows = this.entries.filter((e) => this.shown(e)).map((e) => this.row(e, false));
    $('feed').replaceChildren(...(rows.length ? rows : [h('li', { class: 'empty' }, 'Nothing yet.')]));
  }
}
