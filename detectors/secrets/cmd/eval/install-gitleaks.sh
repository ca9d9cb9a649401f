#!/bin/sh
# install-gitleaks.sh installs the gitleaks binary that `eval -gitleaks`
# compares picket's secrets detector against. It goes into a per-user cache
# directory, never into the repository, and is not run in CI.
set -eu
VERSION="${GITLEAKS_VERSION:-v8.30.1}"
BIN="${XDG_CACHE_HOME:-$HOME/.cache}/picket/peers/bin"
mkdir -p "$BIN"
GOBIN="$BIN" go install "github.com/zricethezav/gitleaks/v8@${VERSION}"
echo "$BIN/gitleaks"
