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

# ---- Terminal UI helpers (tmux) --------------------------------------------
# The TUI scripts drive procsync in a real terminal: a detached tmux session
# at 120x40, so they also run in CI with no terminal attached. They need
# bash, tmux and jq: the simulator is read over bash's /dev/tcp, and its JSON
# with jq (never with grep, which would depend on the field order).

# tmux_init NAME WHAT: check that tmux is installed (WHAT names the test for
# the error) and set up a private tmux server with one session NAME: never
# the user's own sessions, and killing the server on exit cleans up
# everything the script started in it.
tmux_init() {
	command -v tmux >/dev/null 2>&1 || fail "tmux is not installed (the $2 end-to-end test needs it)"
	command -v jq >/dev/null 2>&1 || fail "jq is not installed (the $2 end-to-end test reads the simulator's JSON with it)"
	TMUX_SOCK="procsync-e2e-$1-$$"
	SESSION=$1
	TMUX_SOCK_PATH=""
	trap tmux_cleanup EXIT
}

# tmux_cleanup kills the private tmux server, then does the common cleanup.
tmux_cleanup() {
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true
	# tmux leaves its socket file behind after kill-server.
	[ -n "$TMUX_SOCK_PATH" ] && rm -f "$TMUX_SOCK_PATH"
	cleanup
}

# screen prints what the terminal shows now.
screen() { tmux -L "$TMUX_SOCK" capture-pane -p -t "$SESSION" 2>/dev/null || true; }

# keys sends tmux key names (Enter, Escape, Up, j…) to the session.
keys() { tmux -L "$TMUX_SOCK" send-keys -t "$SESSION" "$@"; }

# type_text sends its argument as literal text (so "/" and spaces are typed,
# not looked up as key names).
type_text() { tmux -L "$TMUX_SOCK" send-keys -t "$SESSION" -l "$1"; }

# tfail fails with the last screen and what procsync wrote to stderr, which
# is what someone debugging a CI failure needs first.
tfail() {
	{
		echo "---- last screen (120x40) ----"
		screen
		echo "---- procsync stderr ----"
		cat "$WORK/tui.err" 2>/dev/null || true
		[ -s "$WORK/exit" ] && cat "$WORK/exit"
		echo "------------------------------"
	} >&2
	fail "$*"
}

# run_in_tmux CMD: start CMD in a fresh session (replacing any earlier one).
# CMD writes to the terminal; its stderr (logs) goes to $WORK/tui.err for
# failures. When it exits the pane stays open and $WORK/exit says how.
run_in_tmux() {
	rm -f "$WORK/exit"
	tmux -L "$TMUX_SOCK" kill-session -t "$SESSION" 2>/dev/null || true
	tmux -L "$TMUX_SOCK" -f /dev/null new-session -d -s "$SESSION" -x 120 -y 40 \
		"cd '$WORK' && $1 2>'$WORK/tui.err'; echo \"procsync exited with status \$?\" >'$WORK/exit'; sleep 600" ||
		fail "tmux could not start a session"
	TMUX_SOCK_PATH=$(tmux -L "$TMUX_SOCK" display-message -p '#{socket_path}')
}

# wait_for PATTERN SECONDS WHAT: poll the screen until the extended regexp
# PATTERN shows, failing after SECONDS or as soon as procsync has exited.
wait_for() {
	local pattern=$1 secs=$2 what=$3 i
	for ((i = 0; i < secs * 10; i++)); do
		screen | grep -Eq -- "$pattern" && return 0
		[ -s "$WORK/exit" ] && tfail "procsync exited while waiting for $what"
		sleep 0.1
	done
	tfail "timed out after ${secs}s waiting for $what (/$pattern/ not on screen)"
}

# wait_exit waits up to 5 s for procsync (after q) to exit, and fails unless
# it exited with status 0.
wait_exit() {
	for _ in $(seq 50); do
		[ -s "$WORK/exit" ] && break
		sleep 0.1
	done
	grep -qx 'procsync exited with status 0' "$WORK/exit" 2>/dev/null || tfail "procsync did not quit cleanly on q"
}

# read_sim_url_file FILE: wait up to 5 s for `demo --sim-url-file FILE` to
# write the in-process simulator's URL and set SIM_URL from it.
read_sim_url_file() {
	for _ in $(seq 50); do
		[ -s "$1" ] && break
		sleep 0.1
	done
	SIM_URL=$(head -1 "$1" 2>/dev/null || true)
	[[ $SIM_URL =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || tfail "--sim-url-file holds no loopback URL: '$SIM_URL'"
}

# sim_get PATH prints the body of GET {SIM_URL}PATH, over bash's /dev/tcp
# (HTTP/1.0, so the server closes the connection and sends no chunks).
sim_get() {
	local hostport=${SIM_URL#http://} resp
	exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}" || tfail "cannot connect to the simulator at $SIM_URL"
	printf 'GET %s HTTP/1.0\r\nHost: %s\r\nAccept: application/json\r\n\r\n' "$1" "$hostport" >&3
	resp=$(cat <&3)
	exec 3<&-
	case "${resp%%$'\r'*}" in
	"HTTP/1."?" 200"*) ;;
	*) tfail "GET $SIM_URL$1: ${resp%%$'\r'*}" ;;
	esac
	printf '%s\n' "${resp#*$'\r\n\r\n'}"
}

# sim_jq PATH FILTER [jq options…]: GET {SIM_URL}PATH and print what the jq
# FILTER makes of it (raw strings).
sim_jq() {
	local path=$1 filter=$2
	shift 2
	sim_get "$path" | jq -r "$@" "$filter" || tfail "jq could not read GET $SIM_URL$path with $filter"
}

# demo_sign_in: start `procsync demo --seed 1 --users 200` in the session
# (state under $WORK/state), set SIM_URL to its in-process simulator, and
# sign in to both providers the way a new user does: enter on the sign-in
# screen runs the real code flow for the selected provider (approved by the
# demo's in-process browser). The caller waits for the review screen.
demo_sign_in() {
	mkdir -p "$WORK/state"
	run_in_tmux "PROCSYNC_STATE_DIR='$WORK/state' '$BIN' demo --seed 1 --users 200 --sim-url-file '$WORK/sim-url'"
	wait_for 'Press enter to sign in to Microsoft Graph' 15 "the sign-in screen"
	read_sim_url_file "$WORK/sim-url"
	keys Enter
	wait_for 'Press enter to sign in to Procore' 15 "the Graph sign-in to finish"
	keys Enter
}
