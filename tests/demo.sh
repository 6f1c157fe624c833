#!/usr/bin/env bash
# make demo: the main job on a throw-away local server. A Prosody of its
# own on 127.0.0.1, two accounts, one message from alice to bob with
# xmpp-send, received with xmpp-recv; everything stopped at the end.
. "$(dirname "$0")/integration/lib.sh"

say() { printf 'demo: %s\n' "$*"; }
run() { printf '  $ %s\n' "$*"; }

say "starting a throw-away Prosody for $XT_DOMAIN on 127.0.0.1"
prosody_start || { say "prosody did not start"; exit 1; }
say "server up: STARTTLS on port $XT_PORT, direct TLS on $XT_TLS_PORT, CA $XT_CA"
prosody_adduser alice "$(_xt_random)" && prosody_adduser bob "$(_xt_random)" ||
	{ say "could not create the accounts"; exit 1; }
say "accounts alice@$XT_DOMAIN and bob@$XT_DOMAIN created (passwords in 0600 files)"

mapfile -t A < <(xt_opts alice)
mapfile -t B < <(xt_opts bob)
out=$XT_DIR/bob.out

say "bob waits for one message"
run "xmpp-recv -a bob@$XT_DOMAIN --password-file bob.pw --server 127.0.0.1:$XT_PORT --cafile ca.pem --count 1"
"$XT_BIN/xmpp-recv" "${B[@]}" -v --count 1 --timeout 20 >"$out" 2>"$XT_DIR/bob.err" &
recv=$!
for _ in $(seq 100); do
	grep -q 'waiting' "$XT_DIR/bob.err" 2>/dev/null && break
	kill -0 "$recv" 2>/dev/null || break
	sleep 0.1
done

msg="Hello bob, this is alice at $(date -u +%H:%M:%S)"
say "alice sends a message"
run "echo '$msg' | xmpp-send -a alice@$XT_DOMAIN --password-file alice.pw --server 127.0.0.1:$XT_PORT --cafile ca.pem bob@$XT_DOMAIN"
printf '%s\n' "$msg" >"$XT_DIR/msg"
"$XT_BIN/xmpp-send" "${A[@]}" -v "bob@$XT_DOMAIN" <"$XT_DIR/msg"
st=$?
say "xmpp-send exited $st"

wait "$recv"
rst=$?
say "xmpp-recv exited $rst and printed:"
sed 's/^/  /' "$out"
[ "$rst" -ne 0 ] && sed 's/^/  bob: /' "$XT_DIR/bob.err"

say "alice sends to an account that does not exist"
run "echo test | xmpp-send ... nobody@$XT_DOMAIN"
"$XT_BIN/xmpp-send" "${A[@]}" "nobody@$XT_DOMAIN" <"$XT_DIR/msg"
say "xmpp-send exited $? (5: the server bounced it)"

say "stopping the server"
if [ "$st" -eq 0 ] && [ "$rst" -eq 0 ] && grep -qF "alice@$XT_DOMAIN: $msg" "$out"; then
	say "done: the message went from alice to bob through a real server"
	exit 0
fi
say "FAILED"
exit 1
