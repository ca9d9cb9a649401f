#!/bin/sh
# Builds every plugin into plugins/bin/ and prints each file's sha256, the
# value operators put in a detector's `sha256` in picket's config.
#
#   plugins/build.sh            # from anywhere; `make plugins` calls it
#
# First-party detectors (detectors/<name>) become a go-plugin binary
# (bin/picket-<name>) and a WASM module (bin/<name>.wasm). The examples are
# built from their own modules with GOWORK=off, proving that the SDK stands
# alone. The hand-written .wat example needs wat2wasm (Debian: wabt); without
# it the script warns and goes on, unless PICKET_REQUIRE_TOOLS=1.
#
# Builds use -trimpath and -buildvcs=false so that the same source gives the
# same bytes, and so the same sha256, on every machine with the same Go.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/plugins/bin"
mkdir -p "$bin"
flags="-trimpath -buildvcs=false"

cd "$root"
for name in secrets injection commands; do
	if [ ! -d "detectors/$name" ]; then
		echo "build.sh: detectors/$name does not exist yet; skipping" >&2
		continue
	fi
	echo "build.sh: $name" >&2
	go build $flags -o "$bin/picket-$name" "./plugins/$name/process"
	GOOS=wasip1 GOARCH=wasm go build $flags -buildmode=c-shared -o "$bin/$name.wasm" "./plugins/$name/wasm"
done

echo "build.sh: examples" >&2
(cd plugins/examples/denylist-wasm &&
	GOWORK=off GOOS=wasip1 GOARCH=wasm go build $flags -buildmode=c-shared -o "$bin/denylist.wasm" .)
(cd plugins/examples/entropy-process &&
	GOWORK=off go build $flags -o "$bin/entropy-detector" .)

if command -v wat2wasm >/dev/null 2>&1; then
	wat2wasm -o "$bin/wordflag.wasm" plugins/examples/wordflag-wat/wordflag.wat
elif [ "${PICKET_REQUIRE_TOOLS:-}" = 1 ]; then
	echo "build.sh: wat2wasm not found (apt-get install -y wabt) and PICKET_REQUIRE_TOOLS=1" >&2
	exit 1
else
	echo "build.sh: wat2wasm not found (apt-get install -y wabt); skipping wordflag.wasm" >&2
fi

cd "$bin"
for f in *; do
	case "$f" in *.tmp) continue ;; esac
	sha256sum "$f"
done
