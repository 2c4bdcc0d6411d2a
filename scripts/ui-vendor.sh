#!/usr/bin/env bash
# Refresh the web page's pinned libraries in pollama/ui/vendor from npm (run by hand when upgrading; the
# files are checked in, so installing pollama needs neither npm nor a build step). Change a version here,
# run it, run tests/ui, commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
MARKED=18.3.0
DOMPURIFY=3.5.0
HIGHLIGHT=11.12.0
LANGUAGES=(bash c cpp css diff go java javascript json markdown python rust shell sql typescript xml yaml)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npm install --prefix "$tmp" --no-audit --no-fund --loglevel=error \
  "marked@$MARKED" "dompurify@$DOMPURIFY" "@highlightjs/cdn-assets@$HIGHLIGHT"
src=$tmp/node_modules
out=pollama/ui/vendor
rm -rf "$out/marked" "$out/dompurify" "$out/highlight.js"
mkdir -p "$out/marked" "$out/dompurify" "$out/highlight.js/languages"
cp "$src/marked/lib/marked.esm.js" "$src/marked/LICENSE" "$out/marked/"
# .js rather than .mjs: served as text/javascript whatever the host's MIME table says
cp "$src/dompurify/dist/purify.es.mjs" "$out/dompurify/purify.es.js"
cp "$src/dompurify/LICENSE" "$out/dompurify/"
hl=$src/@highlightjs/cdn-assets
cp "$hl/es/core.min.js" "$hl/LICENSE" "$hl/styles/github.min.css" "$hl/styles/github-dark.min.css" \
  "$out/highlight.js/"
for language in "${LANGUAGES[@]}"; do cp "$hl/es/languages/$language.min.js" "$out/highlight.js/languages/"; done
echo "vendored marked $MARKED, DOMPurify $DOMPURIFY, highlight.js $HIGHLIGHT into $out"
