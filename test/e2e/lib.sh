# Shared helpers for the end-to-end scripts: build the binary once, start the
# simulated tenant in its own process, and clean up on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d)
BIN="$ROOT/bin/procsync"
SIM_PID=""
cleanup() {
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

build() {
	(cd "$ROOT" && make -s build >/dev/null)
}

# start_sim [extra demo flags…]: serve the simulator on a free port and write
# its config to $WORK/config.toml; sets SIM_URL.
start_sim() {
	"$BIN" demo --serve 127.0.0.1:0 --write-config "$WORK/config.toml" "$@" >"$WORK/sim.out" 2>"$WORK/sim.err" &
	SIM_PID=$!
	for _ in $(seq 100); do
		[ -s "$WORK/config.toml" ] && break
		sleep 0.1
	done
	[ -s "$WORK/config.toml" ] || { cat "$WORK/sim.err" >&2; fail "the simulator did not start"; }
	SIM_URL=$(sed -n 's|^api_url = "\(http://127.0.0.1:[0-9]*\)/graph"|\1|p' "$WORK/config.toml" | head -1)
	[ -n "$SIM_URL" ] || fail "no simulator URL in the printed config"
	export PROCSYNC_CONFIG="$WORK/config.toml" PROCSYNC_STATE_DIR="$WORK/state" PROCSYNC_TOKEN_STORE=file
}
