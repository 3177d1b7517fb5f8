import { cpus } from 'node:os';

/** Shared helpers for the benchmarks: environment banner, seeded randomness, timing. */

export function banner(name: string): void {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`# ${name}`);
  console.log(`node ${process.version} · ${cpus().length} × ${cpu} · ${process.platform}/${process.arch}`);
}

/** xorshift32: a fixed seed gives the same request stream on every run and machine. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

export function nowMs(): number {
  return performance.now();
}

export function fmt(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(1);
}

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
}
