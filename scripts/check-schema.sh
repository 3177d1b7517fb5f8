#!/usr/bin/env bash
# Fail (exit 1, with a diff) when src/wire/generated/ is not what scripts/gen-schema.sh
# produces from schema/zonelb.fbs right now.          (npm run schema:check)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMMITTED="$ROOT/src/wire/generated"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

bash "$ROOT/scripts/gen-schema.sh" "$tmp/generated" >/dev/null

if [ ! -d "$COMMITTED" ]; then
  echo "schema:check: $COMMITTED is missing; run 'npm run schema'" >&2
  exit 1
fi
if ! diff -ru "$COMMITTED" "$tmp/generated"; then
  echo "schema:check: src/wire/generated/ differs from what schema/zonelb.fbs generates (diff above: - committed, + regenerated); run 'npm run schema'" >&2
  exit 1
fi
echo "schema:check: src/wire/generated/ is up to date"
