import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/core/errors.ts';

/** Every ZLB_ERR_* code the source can produce, found by scanning it. */
function codesInSource(dir: string, found = new Set<string>()): Set<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'generated') codesInSource(path, found);
    } else if (name.endsWith('.ts')) {
      for (const m of readFileSync(path, 'utf8').matchAll(/['"`](ZLB_ERR_[A-Z_]+)['"`]/g)) found.add(m[1]!);
    }
  }
  return found;
}

describe('error catalogue', () => {
  const docs = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');

  it('documents every error code the engine defines', () => {
    for (const code of Object.values(ErrorCode)) expect(docs, code).toContain(`\`${code}\``);
  });

  it('documents every error code that appears anywhere in the source', () => {
    const codes = codesInSource(new URL('../src', import.meta.url).pathname);
    expect(codes.size).toBeGreaterThan(10);
    for (const code of codes) expect(docs, code).toContain(`\`${code}\``);
  });
});
