#!/usr/bin/env bash
# Regenerate the FlatBuffers TypeScript bindings from schema/zonelb.fbs.
#
#   bash scripts/gen-schema.sh [OUT_DIR]      (npm run schema)
#
# OUT_DIR defaults to src/wire/generated. It is wiped and rewritten; nothing else is touched.
# FLATC selects the compiler (default: flatc on PATH). The committed bindings were made with
# flatc 2.0.8 (Debian's flatbuffers-compiler); another version produces different code, which
# scripts/check-schema.sh reports as a diff.
#
# Post-processing (kept here so the output stays reproducible; everything else is flatc's
# output byte for byte):
#   * --ts-flat-files gives one self-contained module, so flatc 2.0.8's extensionless
#     relative imports (rejected by moduleResolution NodeNext) never appear;
#   * the union accessor `message<T extends flatbuffers.Table>(obj:any)` declares a type
#     parameter it never uses, which fails `noUnusedParameters`; the parameter is removed;
#   * a second header line records the flatc version and this script.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCHEMA="$ROOT/schema/zonelb.fbs"
OUT="${1:-$ROOT/src/wire/generated}"
FLATC="${FLATC:-flatc}"
EXPECTED_FLATC_VERSION="2.0.8"

if ! command -v "$FLATC" >/dev/null 2>&1; then
  echo "gen-schema: '$FLATC' not found; install flatc $EXPECTED_FLATC_VERSION (apt-get install flatbuffers-compiler) or set FLATC" >&2
  exit 127
fi
version="$("$FLATC" --version | awk '{print $NF}')"
if [ "$version" != "$EXPECTED_FLATC_VERSION" ]; then
  echo "gen-schema: warning: flatc $version, the committed bindings come from flatc $EXPECTED_FLATC_VERSION" >&2
fi

case "$OUT" in
  "" | "/" | "$ROOT" | "$ROOT/" | "$ROOT/src" | "$ROOT/src/wire")
    echo "gen-schema: refusing to wipe '$OUT'" >&2
    exit 2
    ;;
esac

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"$FLATC" --ts --ts-flat-files -o "$tmp" "$SCHEMA"
gen="$tmp/zonelb_generated.ts"
if [ ! -f "$gen" ]; then
  echo "gen-schema: flatc did not produce zonelb_generated.ts (got: $(ls "$tmp"))" >&2
  exit 1
fi

sed -e 's/^\([A-Za-z_][A-Za-z0-9_]*\)<T extends flatbuffers\.Table>(/\1(/' "$gen" \
  | awk -v v="$version" 'NR == 1 { print; print "// flatc " v " --ts --ts-flat-files, post-processed by scripts/gen-schema.sh"; next } { print }' \
  > "$tmp/out.ts"
if grep -q '<T extends flatbuffers\.Table>' "$tmp/out.ts"; then
  echo "gen-schema: flatc output changed shape; update the post-processing in scripts/gen-schema.sh" >&2
  exit 1
fi

rm -rf "$OUT"
mkdir -p "$OUT"
cp "$tmp/out.ts" "$OUT/zonelb_generated.ts"
echo "gen-schema: wrote $OUT/zonelb_generated.ts (flatc $version)"
