/* global window, location, WebSocket, requestAnimationFrame */
/**
 * zonelb's live dashboard. Browser modules, no build step: served as they are by `zonelb serve`
 * (src/obs/dashboard-assets.ts) next to uPlot from node_modules.
 *
 * Feed (WebSocket /v1/dashboard, JSON): `hello` (chart history, recent events, latest frame),
 * then a `frame` every second and an `event` as each control-plane event happens.
 */
import { Charts } from './charts.js';
import { Feed } from './feed.js';
import { $, ServerColours } from './format.js';
import { renderHot, renderScale, renderServers, renderShards, renderTiles, renderZones } from './panels.js';

const charts = new Charts();
const feed = new Feed();
const colours = new ServerColours();
let latest;
let dirty = false;
let lastMessage = 0;

function render() {
  dirty = false;
  if (!latest) return;
  // Colours are handed out in id order, so the same fleet gets the same colours on every load.
  for (const s of latest.servers) colours.of(s.id);
  renderTiles(latest);
  renderServers(latest, colours);
  renderZones(latest, colours);
  renderHot(latest);
  renderShards(latest);
  renderScale(latest);
  charts.draw();
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
    lastMessage = Date.now();
    const msg = JSON.parse(m.data);
    if (msg.t === 'hello') {
      charts.reset(msg.history);
      feed.reset(msg.feed);
      if (msg.frame) latest = msg.frame;
      schedule();
    } else if (msg.t === 'frame') {
      latest = msg;
      charts.push(msg.point);
      schedule();
    } else if (msg.t === 'event') {
      feed.add(msg.item, true);
    }
  };
  ws.onclose = () => {
    setConn('down', 'disconnected, retrying…');
    window.setTimeout(() => connect(Math.min(10_000, delay * 2)), delay);
  };
}

// A connection that stays open but stops delivering (a frozen process) shows as stale.
window.setInterval(() => {
  if ($('conn').dataset.state === 'live' && lastMessage > 0 && Date.now() - lastMessage > 5000) setConn('stale', `no update for ${Math.round((Date.now() - lastMessage) / 1000)} s`);
  else if ($('conn').dataset.state === 'stale' && Date.now() - lastMessage <= 5000) setConn('live', `live · ${location.host}`);
}, 1000);

connect(500);
