#!/usr/bin/env bash
# A new admin's first day in the terminal UI (issue 17), in a real terminal
# (tmux at 120x40) against `procsync demo`:
#   - q with approved rows asks before quitting, and n keeps the program;
#   - ctrl+c during an apply stops after the request in flight and lands on
#     the report marked cancelled (never "context canceled"); a second
#     ctrl+c quits.
# The apply is caught mid-request with the simulator's hold: the Procore
# write is held until the test has pressed ctrl+c, so the order of events
# is fixed without any timing.
. "$(dirname "$0")/lib.sh"
tmux_init firstday "first-day TUI"

# sim_send METHOD PATH [JSON]: send one request to the simulator's /_sim
# endpoints over bash's /dev/tcp and print the body; fails unless 2xx.
sim_send() {
	local hostport=${SIM_URL#http://} body=${3:-} resp
	exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}" || tfail "cannot connect to the simulator at $SIM_URL"
	printf '%s %s HTTP/1.0\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
		"$1" "$2" "$hostport" "${#body}" "$body" >&3
	resp=$(cat <&3)
	exec 3<&-
	case "${resp%%$'\r'*}" in
	"HTTP/1."?" 2"*) ;;
	*) tfail "$1 $SIM_URL$2: ${resp%%$'\r'*}" ;;
	esac
	printf '%s\n' "${resp#*$'\r\n\r\n'}"
}

build
started=$SECONDS
demo_sign_in
wait_for 'Plan · [0-9,]+ actions · 0 approved' 30 "the review screen"
grep -Eq 'graph ● [^ ]+@[^ ]+ +procore ●' <<<"$(screen)" || tfail "the header does not say who is signed in to Graph"
pass "review screen; the header names the Graph account"

# ---- q with approved rows asks; n keeps the program ---------------------
keys 3 Space
wait_for 'Plan · [0-9,]+ actions · 1 approved' 5 "one approval"
keys q
wait_for 'Quit and discard 1 approved action\? y/n' 5 "the quit prompt"
grep -q 'y quit • n stay' <<<"$(screen)" || tfail "the footer does not offer y and n"
keys n
wait_for 'not quitting; nothing was discarded' 5 "the answer n"
[ -s "$WORK/exit" ] && tfail "procsync exited although n was answered"
grep -q '^approved 1 │' <<<"$(screen)" || tfail "answering n lost the approval"
pass "q asked before discarding 1 approved action; n kept procsync running"

# ---- ctrl+c during an apply ----------------------------------------------
keys j Space j Space
wait_for 'Plan · [0-9,]+ actions · 3 approved' 5 "three approvals"
# Hold the apply's first Procore write until ctrl+c has been pressed.
sim_send POST /_sim/hold '{"service":"procore","writes_only":true}' >/dev/null
keys x
wait_for 'Apply 3 approved actions: ' 5 "the apply confirmation"
keys Enter
held=$(sim_send GET '/_sim/hold?wait_ms=15000')
grep -q '"held":true' <<<"$held" || tfail "the apply's write never reached the simulator: $held"
wait_for 'Applying 3 actions' 5 "the apply screen"
keys C-c
wait_for 'stopping after the request in flight' 5 "ctrl+c to stop the apply"
[ -s "$WORK/exit" ] && tfail "ctrl+c during the apply quit instead of stopping it"
sim_send DELETE /_sim/hold >/dev/null
wait_for 'Report CANCELLED' 30 "the report after ctrl+c"
s=$(screen)
grep -q 'apply cancelled: 3 done, 0 failed, 0 not applied; ctrl+c again quits' <<<"$s" ||
	tfail "the status line does not say the apply was cancelled and what was applied"
grep -q '┃3 done, 0 failed, 0 not applied (cancelled' <<<"$s" || tfail "the report preview does not say cancelled"
grep -qi 'context canceled\|run error\|apply stopped' <<<"$s" && tfail "a deliberate cancel reads as an error"
pass "ctrl+c stopped the apply after the request in flight; the report says cancelled"

keys C-c
wait_exit
pass "a second ctrl+c quit; whole run took $((SECONDS - started))s"
