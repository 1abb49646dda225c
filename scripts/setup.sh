#!/usr/bin/env bash
# Installs everything koseki needs at run time and for its tests, on Debian, as root.
# Idempotent: a second run only checks. Nothing is downloaded at run time by the product itself.
set -euo pipefail

KOSEKI_HOME="${KOSEKI_HOME:-$HOME/.local/share/koseki}"
MOJIDATA_VERSION="1.8.1"

need_apt=()
# Runtime: IPAmj明朝 (reference glyphs, certificate font); libssl for SQLCipher.
# Tests: poppler-utils (pdffonts/pdftotext), chromium + driver (browser tests),
# other Mincho fonts (identify benchmark and tests), fontTools (font checks).
for pkg in fonts-ipamj-mincho libssl-dev pkg-config poppler-utils chromium chromium-driver \
           fonts-hanazono fonts-noto-cjk python3-fonttools fontconfig curl; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
# npm installs the MJ tables; a machine may already have node/npm from elsewhere.
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# MJ文字情報一覧表 as SQLite, from the npm registry (never committed).
mojidb="$KOSEKI_HOME/npm/node_modules/@mandel59/mojidata/dist/moji.db"
if [ ! -s "$mojidb" ]; then
  echo "setup: installing @mandel59/mojidata@$MOJIDATA_VERSION into $KOSEKI_HOME/npm"
  mkdir -p "$KOSEKI_HOME/npm"
  npm install --silent --no-audit --no-fund --prefix "$KOSEKI_HOME/npm" "@mandel59/mojidata@$MOJIDATA_VERSION" >/dev/null
fi
test -s "$mojidb" || { echo "setup: $mojidb missing after install" >&2; exit 1; }
test -s /usr/share/fonts/truetype/ipamj/ipamjm.ttf || { echo "setup: IPAmj明朝 not found" >&2; exit 1; }

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo (Rust 1.95 or newer) is required and was not found on PATH" >&2
  exit 1
fi
echo "setup: ready (KOSEKI_HOME=$KOSEKI_HOME)"
