#!/usr/bin/env bash
# Drive the terminal UI as a new user would, in a real terminal (tmux at
# 120x40, so it also runs in CI with no terminal attached): `procsync demo`
# signs in to both providers, shows the review screen; we filter the plan,
# approve exactly three creates, apply, and send the report. The screen must
# say so, and the in-process simulator (inspected over HTTP) must hold
# exactly those three new users and exactly one mail.
#
# Needs bash, tmux and jq: the simulator is read over bash's /dev/tcp and
# its JSON with jq, whatever the order of its fields.
. "$(dirname "$0")/lib.sh"
tmux_init tui "TUI"

# The filter typed into the plan pane; with the seeded tenant (--seed 1,
# --users 200) it matches five creates, of which the first three are approved.
FILTER="create connor"

build
started=$SECONDS

demo_sign_in
wait_for 'Plan · [0-9,]+ actions · 0 approved' 30 "the review screen"
s=$(screen)
grep -Eq 'graph ● .*procore ●' <<<"$s" || tfail "the header does not show both providers signed in"
grep -q '1 Members · ' <<<"$s" || tfail "the review screen has no members pane"
grep -q '2 Procore · ' <<<"$s" || tfail "the review screen has no Procore pane"
pass "signed in to both providers; review screen after $((SECONDS - started))s"

# Focus the plan, filter it, and approve the first three rows (space
# approves the row under the cursor, j moves down).
keys 3 /
type_text "$FILTER"
wait_for "/$FILTER(█)?  \\(" 5 "the filter to be typed"
keys Enter
wait_for "Plan · [0-9,]+ actions · 0 approved  /$FILTER  \\([0-9]+ of" 5 "the filter to apply"
shown=$(screen | sed -n "s|.*/$FILTER  (\([0-9]*\) of .*|\1|p" | head -1)
[ "${shown:-0}" -ge 3 ] || tfail "filter '$FILTER' shows ${shown:-no} rows; need at least 3 creates"
creates=$(screen | grep -cE '^┃\[ \] create ' || true)
[ "$creates" -ge 3 ] || tfail "filter '$FILTER' shows $creates creates; need at least 3"
keys Space j Space j Space
wait_for 'Plan · [0-9,]+ actions · 3 approved' 5 "three approvals"
s=$(screen)
grep -q '^approved 3 │' <<<"$s" || tfail "the header does not count 3 approved"
mapfile -t approved < <(sed -n 's/^┃\[x\] create  *\([^ ]*@[^ ]*\) .*/\1/p' <<<"$s")
[ "${#approved[@]}" -eq 3 ] || tfail "want 3 approved create rows on screen, see ${#approved[@]}: ${approved[*]}"
[ "$(grep -c '^┃\[x\]' <<<"$s" || true)" -eq 3 ] || tfail "rows other than the 3 creates are approved"
pass "filtered '$FILTER' ($shown rows) and approved ${approved[*]}"

# Apply: the confirmation names the counts and the company; enter confirms.
keys x
wait_for 'Apply 3 approved actions: ' 5 "the apply confirmation"
s=$(screen)
grep -qE 'create +3' <<<"$s" || tfail "the confirmation does not count 3 creates"
grep -q 'Procore company  Contoso Construction' <<<"$s" || tfail "the confirmation does not name the company"
keys Enter
wait_for 'apply finished: 3 done, 0 failed' 30 "the apply to finish"
wait_for 'Report +to it@contoso\.com +not sent yet' 5 "the report screen"
s=$(screen)
grep -q '┃3 done, 0 failed' <<<"$s" || tfail "the report preview does not say 3 done, 0 failed"
declare -A shown_id
for a in "${approved[@]}"; do
	id=$(sed -n "s/^┃$(sed 's/[.]/\\./g' <<<"$a")  *.* create  *done  *\([0-9][0-9]*\) .*/\1/p" <<<"$s")
	[ -n "$id" ] || tfail "the report preview has no 'create done <Procore id>' row for $a"
	shown_id[$a]=$id
done
[ "$(grep -cE '^┃[^ ]+@[^ ]+ ' <<<"$s" || true)" -eq 3 ] ||
	tfail "the report preview lists other actions than the 3 approved"
pass "applied: 3 done:$(for a in "${approved[@]}"; do printf ' %s=#%s' "$a" "${shown_id[$a]}"; done)"

keys s
wait_for 'report sent to it@contoso\.com' 15 "the report to be sent"
grep -qE 'Report +to it@contoso\.com +sent' <<<"$(screen)" || tfail "the report screen does not mark the report sent"
pass "report sent"

# The simulator's side: exactly the three approved people were created, each
# once and with the id the screen showed, and exactly one mail went out.
state=$(sim_get /_sim/state)
ids=$(jq -r '.created_ids[]' <<<"$state" | sort)
nids=$(grep -c . <<<"$ids" || true)
[ "$nids" -eq 3 ] || tfail "the simulator created $nids users, want 3: $(tr '\n' ' ' <<<"$ids")"
for a in "${approved[@]}"; do
	n=$(jq --arg e "$a" '[.procore_users[] | select(.email_address == $e)] | length' <<<"$state")
	[ "$n" -eq 1 ] || tfail "the simulator holds $n Procore users with email $a, want 1"
	id=$(jq -r --arg e "$a" '.procore_users[] | select(.email_address == $e) | .id' <<<"$state")
	grep -qx "$id" <<<"$ids" || tfail "$a (Procore #$id) is not among the users created: $(tr '\n' ' ' <<<"$ids")"
	[ "$id" = "${shown_id[$a]}" ] || tfail "$a is Procore #$id in the simulator but #${shown_id[$a]} on screen"
done
mails=$(jq '.mails | length' <<<"$state")
[ "$mails" -eq 1 ] || tfail "the simulator received $mails mails, want 1"
to=$(jq -c '.mails[0].to' <<<"$state")
[ "$to" = '["it@contoso.com"]' ] || tfail "the mail went to $to, want it@contoso.com alone"
[ "$(jq '.violations | length' <<<"$state")" -eq 0 ] || tfail "the simulator saw protocol violations: $(jq -c .violations <<<"$state")"
pass "simulator: created exactly ${approved[*]}, one mail, no violations"

# q quits from the report screen, and procsync exits cleanly.
keys q
wait_exit
pass "quit; whole run took $((SECONDS - started))s"
