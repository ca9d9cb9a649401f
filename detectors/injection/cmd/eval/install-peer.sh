#!/usr/bin/env bash
# install-peer.sh installs the offline peer detector that `eval -peer` runs
# side by side with picket's: @andersmyrmel/vard (MIT, pure JavaScript
# patterns, no network at run time), pinned, into a cache directory, with a
# small node driver that reads {"text": ...} lines on stdin and prints
# {"flagged": bool, "score": number} lines on stdout.
#
# Not run in CI. Needs node and npm.
#
#   detectors/injection/cmd/eval/install-peer.sh
#   go run ./detectors/injection/cmd/eval -corpus ../shared/corpus -peer
set -euo pipefail

PEER_PKG="@andersmyrmel/vard"
PEER_VERSION="1.2.0"
DIR="${XDG_CACHE_HOME:-$HOME/.cache}/picket/peers"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

command -v node >/dev/null || { echo "install-peer: node is not installed" >&2; exit 1; }
command -v npm >/dev/null || { echo "install-peer: npm is not installed" >&2; exit 1; }

mkdir -p "$DIR"
cd "$DIR"
[ -f package.json ] || printf '{"name":"picket-peers","private":true,"type":"module"}\n' > package.json
npm install --no-audit --no-fund --save-exact "${PEER_PKG}@${PEER_VERSION}"
cp "$HERE/driver.mjs" "$DIR/driver.mjs"
echo "${PEER_PKG}@${PEER_VERSION} (moderate preset)" > "$DIR/peer-name.txt"
echo "installed ${PEER_PKG}@${PEER_VERSION} and the driver in $DIR"
