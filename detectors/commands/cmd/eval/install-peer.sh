#!/usr/bin/env bash
# install-peer.sh installs the peer command checker (the npm package
# cc-safety-net) and its driver into a cache directory for
# `go run ./detectors/commands/cmd/eval -peer`. Never run in CI.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${XDG_CACHE_HOME:-$HOME/.cache}/picket/peers"
version="${CC_SAFETY_NET_VERSION:-2.4.5}"
mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || printf '{"name":"picket-peers","private":true,"type":"module"}\n' > package.json
npm install --no-audit --no-fund --silent "cc-safety-net@${version}"
cp "$here/peer.mjs" "$dir/cc-safety-net-driver.mjs"
echo "installed cc-safety-net@${version} in $dir"
