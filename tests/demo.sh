#!/usr/bin/env bash
# make demo: the main jobs on a throw-away local server. A Prosody of its
# own on 127.0.0.1, three accounts, one message from alice to bob with
# xmpp-send, received with xmpp-recv; then a key's life: alice makes and
# publishes a key, bob fetches and pins it, carol vouches for it, alice
# revokes it and bob's next fetch refuses it. Everything stopped at the end.
. "$(dirname "$0")/integration/lib.sh"

say() { printf 'demo: %s\n' "$*"; }
run() { printf '  $ %s\n' "$*"; }

say "starting a throw-away Prosody for $XT_DOMAIN on 127.0.0.1"
prosody_start || { say "prosody did not start"; exit 1; }
say "server up: STARTTLS on port $XT_PORT, direct TLS on $XT_TLS_PORT, CA $XT_CA"
prosody_adduser alice "$(_xt_random)" && prosody_adduser bob "$(_xt_random)" &&
	prosody_adduser carol "$(_xt_random)" ||
	{ say "could not create the accounts"; exit 1; }
say "accounts alice, bob and carol@$XT_DOMAIN created (passwords in 0600 files)"

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

msg_ok=0
[ "$st" -eq 0 ] && [ "$rst" -eq 0 ] && grep -qE "^[^ ]+ chat alice@$XT_DOMAIN/[^ ]+: $msg\$" "$out" &&
	msg_ok=1

# --- a key's life. Each person has a key store of their own.
mapfile -t C < <(xt_opts carol)
as() { local who=$1; shift; XDG_DATA_HOME=$XT_DIR/$who "$@"; }
keys_ok=1
step() {	# step EXPECTED-STATUS DESCRIPTION: check the last status
	local st=$? want=$1
	shift
	say "  -> exit $st ($*)"
	[ "$st" -eq "$want" ] || keys_ok=0
}

say "alice makes an RSA key and publishes it to her PEP node"
run "xmpp-keygen alice@$XT_DOMAIN | xmpp-publish"
as alice "$XT_BIN/xmpp-keygen" -v alice@$XT_DOMAIN 2>"$XT_DIR/keygen.err" >"$XT_DIR/alice.pub"
step 0 "key made"
sed 's/^/  /' "$XT_DIR/keygen.err"
as alice "$XT_BIN/xmpp-publish" "${A[@]}" -v <"$XT_DIR/alice.pub"
step 0 "published"

say "bob fetches alice's key: print checked, key pinned on first sight"
run "xmpp-fetchkey -v alice@$XT_DOMAIN"
as bob "$XT_BIN/xmpp-fetchkey" "${B[@]}" -v "alice@$XT_DOMAIN" >"$XT_DIR/fetched.pub"
step 0 "valid key"
sed 's/^/  /' "$XT_DIR/fetched.pub"

say "carol makes a key, publishes it, and attests alice's key; alice publishes the attestation"
run "xmpp-keygen carol@$XT_DOMAIN | xmpp-publish"
as carol "$XT_BIN/xmpp-keygen" -b 2048 carol@$XT_DOMAIN >"$XT_DIR/carol.pub"
as carol "$XT_BIN/xmpp-publish" "${C[@]}" <"$XT_DIR/carol.pub"
step 0 "carol's key published"
run "xmpp-fetchkey alice@$XT_DOMAIN | xmpp-attest -k carol@$XT_DOMAIN | xmpp-publish (as alice)"
as carol "$XT_BIN/xmpp-fetchkey" "${C[@]}" "alice@$XT_DOMAIN" |
	as carol "$XT_BIN/xmpp-attest" -k "carol@$XT_DOMAIN" |
	as alice "$XT_BIN/xmpp-publish" "${A[@]}" -v
step 0 "attestation published"

say "carol listens for an end-to-end TLS tunnel; alice sends a file through it"
run "xtls-pipe -r demo --listen > received   (carol)"
run "tar c notes | xtls-pipe carol@$XT_DOMAIN/demo   (alice)"
mkdir -p "$XT_DIR/notes" && seq 1 20000 >"$XT_DIR/notes/numbers" &&
	printf 'for carol only\n' >"$XT_DIR/notes/letter"
as carol "$XT_BIN/xtls-pipe" "${C[@]}" -r demo --listen -v </dev/null \
	>"$XT_DIR/received.tar" 2>"$XT_DIR/xtls.err" &
xp=$!
for _ in $(seq 150); do
	grep -q "listening as" "$XT_DIR/xtls.err" && break
	sleep 0.1
done
tar -C "$XT_DIR" -c notes | tee "$XT_DIR/sent.tar" |
	as alice "$XT_BIN/xtls-pipe" "${A[@]}" "carol@$XT_DOMAIN/demo"
step 0 "alice's side closed cleanly"
wait "$xp"
step 0 "carol's side closed cleanly"
sed 's/^/  /' "$XT_DIR/xtls.err"
cmp -s "$XT_DIR/sent.tar" "$XT_DIR/received.tar"
step 0 "the tar file arrived byte for byte, checked with cmp"

say "bob fetches again, trusting what carol vouched for"
run "xmpp-fetchkey -v --signer carol.pub alice@$XT_DOMAIN"
as bob "$XT_BIN/xmpp-fetchkey" "${B[@]}" -v --signer "$XT_DIR/carol.pub" \
	--format fingerprint "alice@$XT_DOMAIN"
step 0 "attested by carol"

say "alice goes offline with offline ESession options published; carol sends her an encrypted message"
run "xmpp-publish --esession --expires 12h --public   (alice; --public: carol is not her contact)"
as alice "$XT_BIN/xmpp-publish" "${A[@]}" --esession --expires 12h --public
step 0 "options published"
run "echo 'deploy done' | xmpp-send --encrypt alice@$XT_DOMAIN   (carol)"
echo 'deploy done' | as carol "$XT_BIN/xmpp-send" "${C[@]}" --encrypt "alice@$XT_DOMAIN"
step 0 "sent, nothing of it in clear"
run "xmpp-recv --count 1   (alice, back online)"
as alice "$XT_BIN/xmpp-recv" "${A[@]}" -v --count 1 --timeout 20 >"$XT_DIR/decrypted" \
	2>"$XT_DIR/recv.err"
step 0 "checked and decrypted"
sed 's/^/  /' "$XT_DIR/recv.err" "$XT_DIR/decrypted"
grep -q ': deploy done$' "$XT_DIR/decrypted"
step 0 "the text is the one carol sent"

say "alice revokes her key"
run "xmpp-revoke alice.pub | xmpp-publish"
as alice "$XT_BIN/xmpp-revoke" "$XT_DIR/alice.pub" |
	as alice "$XT_BIN/xmpp-publish" "${A[@]}" -v
step 0 "revocation published"
say "bob's next fetch refuses the revoked key"
run "xmpp-fetchkey alice@$XT_DOMAIN"
as bob "$XT_BIN/xmpp-fetchkey" "${B[@]}" "alice@$XT_DOMAIN"
step 1 "no valid key"

say "stopping the server"
if [ "$msg_ok" = 1 ] && [ "$keys_ok" = 1 ]; then
	say "done: a message and a key's whole life through a real server"
	exit 0
fi
say "FAILED"
exit 1
