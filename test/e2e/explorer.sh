#!/usr/bin/env bash
# Drive the sandbox explorer as a new user would, in a real terminal (tmux at
# 120x40): `procsync demo` signs in to both providers, `e` opens the explorer;
# we browse to a project's users, run a console GET, create a test user and
# see them in the list. The in-process simulator (inspected over HTTP) must
# hold exactly that one new user.
#
# Then the same explorer against a production config (`procsync sandbox` with
# a `demo --serve` config whose environment is "production", its api_url and
# login_url kept): the red read-only banner shows, the write keys are absent
# from the footer and from `?`, pressing them does nothing, and the simulator
# receives no write.
#
# Needs bash, tmux and jq (the simulator is read over bash's /dev/tcp).
. "$(dirname "$0")/lib.sh"
tmux_init explorer "explorer"

EMAIL="test.explorer@contoso.com"

build
started=$SECONDS

# ---- 1. procsync demo, then e --------------------------------------------
demo_sign_in
wait_for 'Plan · [0-9,]+ actions' 30 "the review screen"
grep -q 'e explorer' <<<"$(screen)" || tfail "the review footer does not offer e explorer"
keys e
wait_for 'SANDBOX EXPLORER · DEMO: writes allowed' 10 "the explorer"
wait_for '▸ Vendors' 10 "the company's folders"
pass "signed in, e opened the explorer in $((SECONDS - started))s"

# Browse: Projects (active) → the first project → its users.
keys j j Enter
wait_for 'Projects \(active\) · [0-9]+' 10 "the active projects"
keys j Enter
wait_for '▾ Contoso HQ Fit-Out · [0-9]+' 10 "the project's users"
s=$(screen)
nusers=$(sed -n 's/.*▾ Contoso HQ Fit-Out · \([0-9]*\).*/\1/p' <<<"$s" | head -1)
[ "${nusers:-0}" -gt 0 ] || tfail "the project lists no users"
grep -Eq '^┃ +[^ ]+@[^ ]+  ' <<<"$s" || tfail "no project user rows on screen"
# The cursor's object shows as JSON on the right.
grep -q '"project_number": "25-003"' <<<"$s" || tfail "the detail pane does not show the project's JSON"
pass "browsed to Contoso HQ Fit-Out: $nusers project users, JSON shown"

# Console: a GET on each API, shown with status, request id and budget.
keys :
type_text "procore /rest/v1.0/me"
wait_for ':procore /rest/v1.0/me' 5 "the console prompt"
keys Enter
wait_for 'Response · GET procore /rest/v1.0/me' 10 "the console answer"
s=$(screen)
grep -q 'status   200 OK' <<<"$s" || tfail "the console answer has no 200 status"
grep -Eq 'request  [0-9a-f-]{8,}' <<<"$s" || tfail "the console answer has no request id"
grep -Eq 'budget   [0-9]+ of [0-9]+ left' <<<"$s" || tfail "the console answer has no rate-limit budget"
grep -q '"login": ' <<<"$s" || tfail "the console answer's body is not shown as JSON"
keys :
type_text "graph /v1.0/subscribedSkus"
keys Enter
wait_for 'Response · GET graph /v1.0/subscribedSkus' 10 "the Graph console answer"
grep -q '"skuPartNumber": ' <<<"$(screen)" || tfail "the Graph answer's body is not shown"
# History: up recalls the previous request.
keys : Up Up
wait_for ':procore /rest/v1.0/me' 5 "the console history"
# One esc at a time: two at once read as alt+esc.
keys Escape
sleep 0.3
keys Escape
sleep 0.3
pass "console GETs on Procore and Graph, with status, request id, budget and history"

# Create a test user: form, confirmation, then the user in the list.
keys c
wait_for 'Create test user' 5 "the create form"
type_text "$EMAIL"
keys Tab
type_text "Test"
keys Tab
type_text "Explorer"
keys Enter
wait_for 'Create test user\?' 5 "the create confirmation"
grep -q "email        $EMAIL" <<<"$(screen)" || tfail "the confirmation does not name $EMAIL"
keys Enter
wait_for "created test user $EMAIL \(#[0-9]+\)" 10 "the create"
shown_id=$(screen | sed -n "s/.*created test user $EMAIL (#\([0-9]*\)).*/\1/p" | head -1)
[ -n "$shown_id" ] || tfail "the status line gives no id for $EMAIL"
# The company's users are read again and the cursor lands on the new one.
wait_for "^[│┃] +$EMAIL  Test Explo" 10 "the new user in the company's user list"
grep -q "\"email_address\": \"$EMAIL\"" <<<"$(screen)" || tfail "the new user's JSON is not shown"
pass "created $EMAIL (#$shown_id) and it is in the list"

state=$(sim_get /_sim/state)
n=$(jq --arg e "$EMAIL" '[.procore_users[] | select(.email_address == $e)] | length' <<<"$state")
[ "$n" -eq 1 ] || tfail "the simulator holds $n users with email $EMAIL, want 1"
id=$(jq -r --arg e "$EMAIL" '.procore_users[] | select(.email_address == $e) | .id' <<<"$state")
[ "$id" = "$shown_id" ] || tfail "$EMAIL is #$id in the simulator but #$shown_id on screen"
ids=$(jq -r '.created_ids | map(tostring) | join(" ")' <<<"$state")
[ "$ids" = "$id" ] || tfail "the simulator created other users too: $ids"
[ "$(jq '.violations | length' <<<"$state")" -eq 0 ] || tfail "the simulator saw protocol violations: $(jq -c .violations <<<"$state")"
pass "simulator: exactly $EMAIL (#$id) created, no violations"

# q goes back from the explorer to the review, and quits there.
keys q
wait_for '━ 3 Plan · ' 5 "q to go back to the review"
keys q
wait_exit
pass "quit cleanly"

# ---- 2. procsync sandbox against a production config -------------------
start_sim --seed 1 --users 60
sed -i 's/^environment = "sandbox"/environment = "production"/' "$WORK/config.toml"
grep -q '^environment = "production"' "$WORK/config.toml" || fail "could not switch the config to production"
# The simulator's published demo secrets, as `demo --serve` printed them.
eval "$(grep -E '^  export PROCSYNC_(GRAPH|PROCORE)_CLIENT_SECRET=' "$WORK/sim.err")"
[ -n "${PROCSYNC_PROCORE_CLIENT_SECRET:-}" ] || fail "demo --serve printed no Procore secret"
export PROCSYNC_GRAPH_CLIENT_SECRET PROCSYNC_PROCORE_CLIENT_SECRET
run_in_tmux "'$BIN' sandbox"
wait_for 'READ-ONLY · PRODUCTION' 15 "the read-only banner"
wait_for '▸ Vendors' 10 "the company's folders"
s=$(screen)
grep -q 'PRODUCTION \]' <<<"$s" || tfail "the header does not say PRODUCTION"
for w in 'c create' 'd deactivate' 'p add to project'; do
	grep -q "$w" <<<"$s" && tfail "the production footer offers '$w'"
done
keys '?'
wait_for '━ Keys ━' 5 "the help overlay"
s=$(screen)
grep -q 'GET console' <<<"$s" || tfail "the help overlay lacks the console"
grep -Eq 'create test user|deactivate/reactivate|add to project' <<<"$s" && tfail "the production help lists write keys"
keys Escape
sleep 0.3
# Users, then the write keys: nothing may open, nothing may be sent.
keys j j j Enter
wait_for 'Users · [0-9]+' 10 "the company's users"
keys j c
sleep 0.3
keys d
sleep 0.3
keys p
sleep 0.5
s=$(screen)
grep -Eq 'Create test user|Deactivate user\?|to which project\?' <<<"$s" && tfail "a write key did something in production"
SIM_URL=$(sed -n 's|^api_url = "\(http://127.0.0.1:[0-9]*\)/graph"|\1|p' "$WORK/config.toml" | head -1)
created=$(sim_jq /_sim/state '.created_ids | length')
[ "$created" -eq 0 ] || tfail "the production explorer created users: $(sim_jq /_sim/state '.created_ids' -c)"
# Every request the simulator logged, read field by field: a write is any
# method but GET or HEAD to Procore's API.
reads=$(sim_jq /_sim/requests '[.[] | select(.path | startswith("/procore/rest/"))] | length')
[ "$reads" -gt 0 ] || tfail "the simulator logged no Procore API request: the explorer read nothing, so the no-write check proves nothing"
writes=$(sim_jq /_sim/requests '[.[] | select((.path | startswith("/procore/rest/")) and (.method | IN("GET", "HEAD") | not)) | "\(.method) \(.path)"] | join(", ")')
[ -z "$writes" ] || tfail "the production explorer sent writes to Procore: $writes"
pass "production: red read-only banner, no write keys in footer or help, no write sent"
keys q
wait_exit
pass "whole run took $((SECONDS - started))s"
