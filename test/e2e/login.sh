#!/usr/bin/env bash
# Sign in to both providers as a new user would: `procsync login` opens the
# browser (here a stand-in xdg-open that fetches the URL like a browser that
# auto-approves), then `status` shows who is signed in.
. "$(dirname "$0")/lib.sh"
build
start_sim

mkdir -p "$WORK/fakebin"
cat >"$WORK/fakebin/xdg-open" <<'SH'
#!/bin/sh
# A browser stand-in: follow the sign-in redirects to procsync's loopback callback.
curl -sSL -o /dev/null "$1" &
SH
chmod +x "$WORK/fakebin/xdg-open"
export PATH="$WORK/fakebin:$PATH" DISPLAY=:99
unset SSH_CONNECTION SSH_TTY

rc=0
"$BIN" status >"$WORK/status0.out" 2>&1 || rc=$?
[ "$rc" -eq 4 ] || fail "status before login: exit $rc, want 4"
grep -q "not signed in" "$WORK/status0.out" || fail "status before login: $(cat "$WORK/status0.out")"

"$BIN" login graph >"$WORK/login-graph.out" 2>"$WORK/login-graph.err" || { cat "$WORK/login-graph.err"; fail "login graph"; }
grep -q "megan.bowen@contoso.com" "$WORK/login-graph.out" || fail "login graph did not show the account: $(cat "$WORK/login-graph.out")"
grep -q "http://127.0.0.1:.*/identity/" "$WORK/login-graph.err" || fail "login graph did not print the URL"
pass "login graph"

# Procore's code flow needs the app's secret (the simulator's, printed by demo).
export PROCSYNC_PROCORE_CLIENT_SECRET=$(sed -n "s/.*PROCSYNC_PROCORE_CLIENT_SECRET='\(.*\)'/\1/p" "$WORK/sim.err")
[ -n "$PROCSYNC_PROCORE_CLIENT_SECRET" ] || fail "demo printed no Procore secret"
"$BIN" login procore >"$WORK/login-procore.out" 2>"$WORK/login-procore.err" || { cat "$WORK/login-procore.err"; fail "login procore"; }
grep -q "Contoso" "$WORK/login-procore.out" || fail "login procore did not show the company: $(cat "$WORK/login-procore.out")"
pass "login procore"

"$BIN" status >"$WORK/status.out" 2>&1 || { cat "$WORK/status.out"; fail "status after login"; }
grep -q "file" "$WORK/status.out" || fail "status does not name the token store"
state=$(curl -sS "$SIM_URL/_sim/state")
echo "$state" | grep -q '"pkce_verified": *[1-9]' || fail "the simulator did not verify PKCE: $state"
pass "status and PKCE"

perm=$(stat -c %a "$WORK/state/tokens.json")
[ "$perm" = 600 ] || fail "token file mode $perm, want 600"
"$BIN" logout >/dev/null 2>&1 || fail "logout"
unset PROCSYNC_PROCORE_CLIENT_SECRET
rc=0
"$BIN" status >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 4 ] || fail "status after logout: exit $rc, want 4"
pass "logout"
