/**
 * The Student-t quantile matching a normal one: how many estimated standard deviations give
 * the confidence that `z` true ones would, when the standard deviation itself was estimated
 * from `dof` degrees of freedom. Few readings measure their noise badly, so their doubt must
 * be wider; with many, the answer tends to `z`.
 *
 * Cornish-Fisher expansion of the t quantile in powers of 1/dof (Abramowitz & Stegun 26.7.5),
 * four terms: within a per cent of the exact quantile from 3 degrees of freedom up (at z ≤ 3),
 * below it for fewer.
 */
export function studentZ(z: number, dof: number): number {
  if (!(dof > 0) || z === 0) return z;
  const z2 = z * z;
  const z3 = z2 * z;
  const z5 = z3 * z2;
  const z7 = z5 * z2;
  const z9 = z7 * z2;
  const g1 = (z3 + z) / 4;
  const g2 = (5 * z5 + 16 * z3 + 3 * z) / 96;
  const g3 = (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / 384;
  const g4 = (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / 92_160;
  const v = 1 / dof;
  return z + v * (g1 + v * (g2 + v * (g3 + v * g4)));
}
