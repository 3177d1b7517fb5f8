/**
 * Regenerates the README's simulator tables: runs every built-in scenario against its default
 * strategies (in the worker pool), writes the full report to out/sim-readme/, and replaces the
 * text between the README's `<!-- sim-tables:begin -->` and `<!-- sim-tables:end -->` markers.
 *
 *   npm run sim:readme            (or: npx tsx scripts/sim-readme.ts [--threads N])
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { simulate } from '../src/cli/sim.ts';
import { BUILTIN_SCENARIOS } from '../src/sim/builtin-scenarios.ts';
import { ProgressBar } from '../src/sim/progress-bar.ts';
import { readmeTables } from '../src/sim/readme-tables.ts';

const BEGIN = '<!-- sim-tables:begin -->';
const END = '<!-- sim-tables:end -->';
const COMMAND = 'npm run sim:readme';

const root = new URL('..', import.meta.url);
const readmePath = fileURLToPath(new URL('README.md', root));
const threadsFlag = process.argv.indexOf('--threads');
const threads = threadsFlag >= 0 ? Number(process.argv[threadsFlag + 1]) : undefined;

/** The README's text and where the tables go (read again at the end: it may be edited during the run). */
function readme(): { text: string; begin: number; end: number } {
  const text = readFileSync(readmePath, 'utf8');
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`README.md has no ${BEGIN} … ${END} section`);
  return { text, begin, end };
}
readme();

const started = Date.now();
const { report, files } = await simulate(
  { scenarios: Object.keys(BUILTIN_SCENARIOS), strategies: undefined, seed: undefined, out: fileURLToPath(new URL('out/sim-readme/', root)), threads },
  `zonelb sim --scenario all --out out/sim-readme (${COMMAND})`,
  (labels) => new ProgressBar(process.stderr, labels),
);
const tables = readmeTables(report, COMMAND);
const { text, begin, end } = readme();
writeFileSync(readmePath, `${text.slice(0, begin + BEGIN.length)}\n${tables}\n${text.slice(end)}`);
console.log(`README.md tables updated in ${Math.round((Date.now() - started) / 1000)} s; full report: ${files.html}`);
