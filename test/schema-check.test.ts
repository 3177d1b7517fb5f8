import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Op, Reason, ServerState, Status } from '../src/core/codes.ts';
import { MessageType, ReportKind } from '../src/wire/codec.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const schema = readFileSync(new URL('../schema/zonelb.fbs', import.meta.url), 'utf8');

const flatc = process.env.FLATC ?? 'flatc';
const hasFlatc = spawnSync(flatc, ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasFlatc) console.warn(`schema-check: '${flatc}' not found on PATH; skipping the generated-code freshness check (install flatbuffers-compiler 2.0.8)`);

describe('generated FlatBuffers bindings', () => {
  it.skipIf(!hasFlatc)(
    hasFlatc ? 'src/wire/generated/ matches schema/zonelb.fbs (scripts/check-schema.sh exits 0)' : `SKIPPED: '${flatc}' is not installed, cannot regenerate`,
    () => {
      const r = spawnSync('bash', ['scripts/check-schema.sh'], { cwd: root, encoding: 'utf8' });
      expect(r.status, `check-schema.sh failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
    },
  );
});

/** Pairs "N Name" from the header section that starts with `heading` and ends at a blank comment line. */
function headerSection(heading: string): Record<string, number> {
  const lines = schema.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`// ${heading}`));
  expect(start, `schema header section "${heading}"`).toBeGreaterThan(-1);
  const out: Record<string, number> = {};
  for (let i = start + 1; i < lines.length && lines[i].trim() !== '//'; i++) {
    const m = /^\/\/\s+(\d+) (\w+)\s/.exec(lines[i] + ' ');
    if (m) out[m[2]] = Number(m[1]);
  }
  return out;
}

/** Pairs "N Name" in the doc comment text following `marker` up to the next '.'. */
function inlineList(marker: string): Record<string, number> {
  const at = schema.indexOf(marker);
  expect(at, `schema comment "${marker}"`).toBeGreaterThan(-1);
  const text = schema.slice(at + marker.length).replace(/\n\s*\/\/\/?/g, ' ');
  const list = text.slice(0, text.indexOf('.'));
  return Object.fromEntries([...list.matchAll(/(\d+) (\w+)/g)].map((m) => [m[2], Number(m[1])]));
}

describe('codes listed in schema/zonelb.fbs match src/core/codes.ts', () => {
  it('header sections', () => {
    expect(headerSection('Op (Request.op):')).toEqual(Op);
    expect(headerSection('Status (Result.status):')).toEqual(Status);
    expect(headerSection('Reason (Replacement.reason):')).toEqual(Reason);
    const states = Object.fromEntries([...schema.matchAll(/(\d+) (Free|Active|Draining|Suspect|Dead)\b/g)].map((m) => [m[2], Number(m[1])]));
    expect(states).toEqual(ServerState);
  });

  it('field doc comments', () => {
    expect(inlineList('Op code:')).toEqual(Op);
    expect(inlineList('Status code:')).toEqual(Status);
    expect(inlineList('Reason code:')).toEqual(Reason);
    expect(inlineList('Report kind:')).toEqual(ReportKind);
    expect(inlineList('Union type codes on the wire:')).toEqual({ NONE: 0, ...MessageType });
  });
});
