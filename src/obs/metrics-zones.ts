import type { Registry } from 'prom-client';
import { gaugeOf, labelledGauge } from './metric-helpers.ts';
import type { ScaleView } from './scale-view.ts';
import type { ZoneCensus } from './zone-census.ts';

/**
 * Zones: totals, the split ones and over how many servers (the most populated
 * `maxZoneSeries`, so the series stay bounded), and the hot zones with their mitigation.
 */
export function registerZoneMetrics(registry: Registry, census: ZoneCensus, scale: ScaleView, maxZoneSeries: number): void {
  gaugeOf(registry, 'zonelb_zones', 'Zones holding players or reserved seats', () => census.latest.zones);
  gaugeOf(registry, 'zonelb_zone_players', 'Players and reserved seats over all zones', () => census.latest.players);
  gaugeOf(registry, 'zonelb_zones_split', 'Zones spread over more than one server', () => census.latest.split);
  labelledGauge(registry, 'zonelb_zones_by_servers', 'Zones by the number of servers holding them (label servers; "8+" for eight or more)', ['servers'], (set) => {
    const b = census.latest.byServerCount;
    for (let k = 1; k < b.length; k++) set({ servers: k === b.length - 1 ? `${k}+` : String(k) }, b[k]!);
  });
  labelledGauge(registry, 'zonelb_split_zone_servers', 'Servers each split zone is spread over (the most populated split zones)', ['zone'], (set) => {
    for (const z of census.latest.splitZones.slice(0, maxZoneSeries)) set({ zone: String(z.zone) }, z.serverCount);
  });
  labelledGauge(registry, 'zonelb_split_zone_players', 'Players of each split zone (the most populated split zones)', ['zone'], (set) => {
    for (const z of census.latest.splitZones.slice(0, maxZoneSeries)) set({ zone: String(z.zone) }, z.population);
  });

  gaugeOf(registry, 'zonelb_hot_zones', 'Zones flagged hot now: joins or players far above their own baseline, beyond any surge the whole world shares', () => scale.hotZones().length);
  const hot = (name: string, help: string, read: (h: ReturnType<ScaleView['hotZones']>[number]) => number | undefined): void => {
    labelledGauge(registry, name, help, ['zone'], (set) => {
      for (const h of scale.hotZones().slice(0, maxZoneSeries)) {
        const v = read(h);
        if (v !== undefined) set({ zone: String(h.zone) }, v);
      }
    });
  };
  hot('zonelb_hot_zone_join_rate', 'Recent joins per second into each hot zone (smoothed over a few seconds: what its reserve is sized for)', (h) => h.joinRate);
  hot('zonelb_hot_zone_baseline_join_rate', 'Usual joins per second of each hot zone (its own baseline)', (h) => h.baseline);
  hot('zonelb_hot_zone_plan_servers', 'Servers each hot zone is pre-split over', (h) => h.plan?.servers);
  hot('zonelb_hot_zone_reserved_seats', 'Seats held for the joins of each hot zone', (h) => h.plan?.reserve);
}
