#!/usr/bin/env bash
# Resolve a conflict once, and ignore a person (issue 19), in a real
# terminal (tmux at 120x40) against `procsync demo`:
#   - the details of a demo conflict list its candidate Procore users; l, ↓
#     and enter link the member to the second one; the next plan shows the
#     member in sync, and the simulator's request log holds exactly one
#     write of that origin_id (one users/sync request keyed by the user id);
#   - i with a reason ignores a create: the next plan shows the person
#     excluded with "ignored by <admin>: <reason>", and so does a headless
#     `--auto --json` run over the same journal, which no longer creates them.
# Needs bash, tmux and jq (see lib.sh).
. "$(dirname "$0")/lib.sh"
tmux_init link "link and ignore"

CONFLICT="hiro.hernandez@contoso.com"
IGNORE="connor.clark@contoso.com"
REASON="external auditor, keeps own login"

# clear_filter: esc clears the plan's filter; waiting for the bare title
# before the next key keeps the terminal from reading esc and that key as
# one alt-key.
clear_filter() {
	keys Escape
	wait_for 'Plan · [0-9,]+ actions · [0-9,]+ approved ━' 5 "the filter to clear"
}

build
started=$SECONDS
demo_sign_in
wait_for 'Plan · [0-9,]+ actions · 0 approved' 30 "the review screen"

# ---- the conflict's details list the candidates; link the second --------
keys 3 /
type_text "conflict $CONFLICT"
keys Enter
wait_for "/conflict $CONFLICT  \\(1 of" 5 "the conflict row"
keys Enter
wait_for 'Procore users this member could be' 5 "the conflict's candidates"
s=$(screen)
mapfile -t cands < <(sed -n 's/^┃ *\(▸ \)\{0,1\}#\([0-9][0-9]*\)  .*/\2/p' <<<"$s")
[ "${#cands[@]}" -eq 2 ] || tfail "want 2 candidate Procore users in the details, see ${#cands[@]}: ${cands[*]}"
entra=$(sed -n 's/^┃ Object id  *\([0-9a-f-]*\) .*/\1/p' <<<"$s" | head -1)
[[ $entra =~ ^[0-9a-f-]{36}$ ]] || tfail "no Entra object id in the details: '$entra'"
pick=${cands[1]}
keys l Down
wait_for "▸ #$pick" 5 "the picker on the second candidate"
sim_get /_sim/requests >/dev/null
keys Enter
wait_for "/conflict $CONFLICT  \\(0 of" 30 "the next plan without the conflict"
pass "linked $CONFLICT to Procore #$pick from the conflict's details after $((SECONDS - started))s"

# The next plan shows the member in sync with that user (under the address
# that user has), linked by origin_id: the details give the whole reason.
clear_filter
keys /
type_text "in sync $pick"
keys Enter
wait_for "/in sync $pick  \\(1 of" 5 "the member's row"
grep -Eq "^┃ +in sync +[^ ]+@contoso\.com +Hiro Hern" <<<"$(screen)" || tfail "the next plan does not show $CONFLICT in sync"
keys Enter
wait_for 'Kind +in sync' 5 "the row's details"
s=$(screen)
grep -q "$entra" <<<"$s" || tfail "the in-sync row is not the member $entra"
tr -d '┃\n' <<<"$s" | tr -s ' ' | grep -q "Procore user $pick; linked by origin_id" ||
	tfail "the details do not say the member is linked to #$pick by origin_id"
keys Enter
pass "the next plan shows $CONFLICT in sync with #$pick, linked by origin_id"

# The simulator: origin_id written once, by one sync request keyed by id.
writes=$(sim_get /_sim/requests | jq --arg o "$entra" \
	'[.[] | select(.method == "PATCH" and (.path | endswith("/users/sync")) and (.body // "" | contains($o)))] | length')
[ "$writes" -eq 1 ] || tfail "the request log holds $writes sync requests writing origin_id $entra, want 1"
body=$(sim_get /_sim/requests | jq -r --arg o "$entra" \
	'[.[] | select(.method == "PATCH" and (.path | endswith("/users/sync")) and (.body // "" | contains($o)))][0].body')
[ "$(jq -c '.updates' <<<"$body")" = "[{\"id\":$pick,\"origin_id\":\"$entra\"}]" ] ||
	tfail "the link request wrote more than the user's origin_id: $body"
state=$(sim_get /_sim/state)
[ "$(jq -r --argjson id "$pick" '.procore_users[] | select(.id == $id) | .origin_id' <<<"$state")" = "$entra" ] ||
	tfail "the simulator's Procore #$pick has no origin_id $entra"
[ "$(jq --arg o "$entra" '[.procore_users[] | select(.origin_id == $o)] | length' <<<"$state")" -eq 1 ] ||
	tfail "more than one Procore user holds origin_id $entra"
pass "simulator: origin_id $entra written once, on #$pick only"

# ---- ignore a create with a reason ---------------------------------------
clear_filter
keys /
type_text "create $IGNORE"
keys Enter
wait_for "/create $IGNORE  \\(1 of" 5 "the create row"
keys i
wait_for "ignore $IGNORE because: " 5 "the reason line"
type_text "$REASON"
keys Enter
wait_for "/create $IGNORE  \\(0 of" 30 "the next plan without the create"
clear_filter
keys /
type_text "$IGNORE"
keys Enter
wait_for "/$IGNORE  \\(1 of" 5 "the ignored person's row"
grep -Eq "^┃ +excluded +$IGNORE " <<<"$(screen)" || tfail "the plan does not show $IGNORE excluded"
keys Enter
wait_for 'Kind +excluded' 5 "the row's details"
tr -d '┃\n' <<<"$(screen)" | tr -s ' ' | grep -Eq "Reason ignored by [^ ]+@[^ ]+: $REASON" ||
	tfail "the details do not give the reason 'ignored by <admin>: $REASON'"
keys Enter
keys I
wait_for "Ignored people · 1" 5 "the ignored list"
grep -q "$IGNORE" <<<"$(screen)" || tfail "the ignored list does not name $IGNORE"
keys Escape
wait_for '3 Plan · ' 5 "the ignored list to close"
pass "TUI: $IGNORE is excluded, ignored with the reason"

keys q
wait_exit

# The headless run over the same journal honours the list.
out=$(PROCSYNC_STATE_DIR="$WORK/state" "$BIN" demo --auto --dry-run --json --seed 1 --users 200 2>"$WORK/auto.err") ||
	{ cat "$WORK/auto.err" >&2; fail "demo --auto --dry-run --json failed"; }
kind=$(jq -r --arg e "$IGNORE" '.actions[] | select(.email == $e) | .kind' <<<"$out")
reason=$(jq -r --arg e "$IGNORE" '.actions[] | select(.email == $e) | .reason' <<<"$out")
[ "$kind" = excluded ] || fail "--auto --json plans $IGNORE as '$kind', want excluded"
[[ $reason == "ignored by "*": $REASON"* ]] || fail "--auto --json gives $IGNORE the reason '$reason'"
[ "$(jq --arg e "$IGNORE" '[.actions[] | select(.kind == "create" and .email == $e)] | length' <<<"$out")" -eq 0 ] ||
	fail "--auto --json still creates $IGNORE"
pass "--auto --json: $IGNORE excluded ($reason); whole run took $((SECONDS - started))s"
