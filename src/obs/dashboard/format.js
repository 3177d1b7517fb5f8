/* global document, window */
/**
 * Small helpers shared by the dashboard's modules: element building (text nodes only: server
 * ids come from the network), number and time formats, and a stable colour per server.
 */

export const $ = (id) => document.getElementById(id);

/** Builds an element: h('div', { class: 'x', dataset: { state } }, child, 'text', …). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') Object.assign(el.style, v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== undefined && c !== null && c !== false && c !== '') el.append(c instanceof window.Node ? c : String(c));
  return el;
}

const grouped = new Intl.NumberFormat('en-US');
export const n = (x) => grouped.format(Math.round(x));
export const pct = (x) => `${Math.round(x * 100)}%`;
/** A usage against its limit: to a tenth near it, so 79.6 % does not read as the 80 % it stays under. */
export const usagePct = (x) => (x >= 0.7 ? `${(Math.floor(x * 1000) / 10).toFixed(1)}%` : pct(x));
export const ms = (x) => (x >= 100 ? `${Math.round(x)}` : x >= 10 ? x.toFixed(1) : x.toFixed(2));
export const clock = (t) => new Date(t).toTimeString().slice(0, 8);
export function ago(t, now = Date.now()) {
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s ago`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min ago`;
}
export const plural = (count, one, many = `${one}s`) => `${n(count)} ${count === 1 ? one : many}`;

/** Distinct on a dark background, in an order where neighbours contrast. */
const PALETTE = ['#58a6ff', '#f0883e', '#3fb950', '#bc8cff', '#e3b341', '#39c5cf', '#f778ba', '#a5d6ff', '#7ee787', '#ff7b72', '#d2a8ff', '#56d364', '#ffa657', '#79c0ff', '#db61a2', '#2ea043'];

/**
 * A colour per server, the same in its row and in every zone bar. Servers get the palette in
 * the order they are first seen (the frame lists them by id), so a fleet keeps its colours
 * from one page load to the next; past the palette, hues are spread by the golden angle.
 */
export class ServerColours {
  constructor() {
    this.byId = new Map();
  }

  of(id) {
    let c = this.byId.get(id);
    if (c === undefined) {
      const i = this.byId.size;
      c = i < PALETTE.length ? PALETTE[i] : `hsl(${Math.round((i * 137.508) % 360)} 65% 62%)`;
      this.byId.set(id, c);
    }
    return c;
  }
}
