#!/usr/bin/env bash
# Sign in to both providers as a new user would: `procsync login` opens the
# browser (here a stand-in xdg-open that fetches the URL like a browser that
# auto-approves), then `status` shows who is signed in.
. "$(dirname "$0")/lib.sh"
build
start_sim
command -v jq >/dev/null 2>&1 || fail "jq is not installed (the login end-to-end test reads the simulator's state with it)"

# Procore matches redirect URIs exactly, so the config names one loopback
# port and the simulator registers it; a port nobody listens on, picked at
# random so that parallel runs do not collide on a fixed one, and below the
# kernel's ephemeral range (32768 and up on Linux), where the other tests'
# connections and listeners on port 0 would take it between the pick and
# the sign-in.
port=""
for _ in $(seq 50); do
	p=$((20000 + RANDOM % 12000))
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		port=$p
		break
	fi
done
[ -n "$port" ] || fail "found no free loopback port for the Procore redirect URI"
redirect="http://localhost:$port/callback"
sed -i "s|^redirect_uri = \"[^\"]*\"|redirect_uri = \"$redirect\"|" "$WORK/config.toml"
grep -q "^redirect_uri = \"$redirect\"" "$WORK/config.toml" || fail "the demo config has no procore.redirect_uri line to change"
curl -sSf -X POST --data-urlencode "uri=$redirect" "$SIM_URL/_sim/procore_redirect_uris" || fail "the simulator did not register $redirect"

# pkce_verified counts the code verifiers the simulator checked; each
# provider's sign-in must add exactly one.
pkce() { curl -sSf "$SIM_URL/_sim/state" | jq -e '.pkce_verified'; }

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
[ "$(pkce)" = 1 ] || fail "after login graph the simulator verified $(pkce) PKCE code verifiers, want 1"
pass "login graph"

# Procore's code flow needs the app's secret (the simulator's, printed by demo).
export PROCSYNC_PROCORE_CLIENT_SECRET=$(sed -n "s/.*PROCSYNC_PROCORE_CLIENT_SECRET='\(.*\)'/\1/p" "$WORK/sim.err")
[ -n "$PROCSYNC_PROCORE_CLIENT_SECRET" ] || fail "demo printed no Procore secret"
"$BIN" login procore >"$WORK/login-procore.out" 2>"$WORK/login-procore.err" || { cat "$WORK/login-procore.err"; fail "login procore"; }
grep -q "Contoso" "$WORK/login-procore.out" || fail "login procore did not show the company: $(cat "$WORK/login-procore.out")"
grep -q "localhost%3A$port" "$WORK/login-procore.err" || fail "login procore did not use the redirect URI $redirect: $(cat "$WORK/login-procore.err")"
[ "$(pkce)" = 2 ] || fail "after login procore the simulator verified $(pkce) PKCE code verifiers in all, want 2"
pass "login procore"

"$BIN" status >"$WORK/status.out" 2>&1 || { cat "$WORK/status.out"; fail "status after login"; }
grep -q "file" "$WORK/status.out" || fail "status does not name the token store"
[ "$(pkce)" = 2 ] || fail "status made the simulator verify PKCE again: $(pkce) in all, want 2"
pass "status and PKCE"

perm=$(stat -c %a "$WORK/state/tokens.json")
[ "$perm" = 600 ] || fail "token file mode $perm, want 600"
"$BIN" logout >/dev/null 2>&1 || fail "logout"
unset PROCSYNC_PROCORE_CLIENT_SECRET
rc=0
"$BIN" status >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 4 ] || fail "status after logout: exit $rc, want 4"
pass "logout"
