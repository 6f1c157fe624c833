# shellcheck shell=bash
# tests/integration/lib.sh: sourced by the integration tests (bash).
#
#   . "$(dirname "$0")/lib.sh"
#
# TAP output, a private temp dir, a throw-away CA and test certificates,
# a real Prosody 0.12 on 127.0.0.1 (with a chat room service,
# conference.xt.test) and a scripted fake server
# (fakeserver.py).  Everything started here is stopped by one EXIT trap,
# whatever happened (failure, exit, Ctrl-C, SIGTERM; after SIGKILL a
# watchdog does it within a few seconds).  A script that needs its own
# clean-up registers it with xt_at_exit instead of calling trap.
#
#   TAP        plan N, done_testing, ok STATUS DESC, pass DESC, fail DESC,
#              is GOT WANT DESC, isnt, like TEXT ERE DESC, unlike,
#              file_like FILE ERE DESC, file_unlike, skip REASON [N],
#              skip_all REASON, bail_out REASON, diag MSG..., note MSG...
#   files      xt_tmpdir, xt_at_exit CMD, free_port, xt_port_open PORT,
#              xt_wait_port PORT [S], xt_comm TOOL
#   certs      xt_certs_make DIR, xt_ca_make DIR [NAME], xt_cert_make DIR NAME ...
#   Prosody    prosody_start, prosody_adduser NAME [PW], prosody_stop
#   ejabberd   ejabberd_start, ejabberd_adduser NAME [PW], ejabberd_stop
#   either     server_start, server_adduser NAME [PW], server_stop as
#              XT_SERVER=prosody|ejabberd says (ejabberd.sh)
#   accounts   xt_account NAME, xt_password NAME, xt_opts NAME,
#              xt_opts_tls NAME, xt_fake_opts NAME
#   probing    xt_tls_probe PORT [starttls|direct] [1.2|1.3] [NAME]
#   fake       fake_start MODE [fakeserver.py options], fake_stop
#
# The test helpers return 1 when a test fails, so a script can write
# `is ... || diag ...`; under `set -e` that ends the script at the first
# failing test (the clean-up still runs), so better leave set -e off.
# Start servers from the main shell, never inside $(...) or a pipeline.
#
# Environment:
#   XT_KEEP=1           keep the temp dir (its path is printed on stderr)
#   XT_PROSODY_DEBUG=1  Prosody logs at debug level
#   XT_PROSODY_TLS=1.2  Prosody speaks TLS 1.2 only (then it offers -PLUS)
#   XT_PROSODY_PASSWORD_HASH=SHA-256  SCRAM-SHA-256 instead of SCRAM-SHA-1
#   XT_PROSODY_NO_PEP=1 Prosody runs without mod_pep (no PEP service at all)
#   XT_PROSODY_NO_SM=1  Prosody runs without mod_smacks (no Stream Management)
#   XT_PROSODY_UPLOAD=BYTES  serve HTTP File Upload (XEP-0363) as
#                       upload.xt.test with this size limit, over HTTPS on
#                       127.0.0.1:$XT_HTTPS_PORT as https://localhost
#                       (certificate $XT_CERTS/upload.crt, issued by
#                       ca2.pem, not ca.pem); unset or 0: none
#   XT_PROSODY_LIMITS=10kb/s  load mod_limits with this c2s rate (Prosody's
#                       syntax, k = 1000 bytes; Debian's default config has
#                       10kb/s); unset or 0: no mod_limits, no rate limit
#   XT_PYTHON           interpreter for fakeserver.py (default: python3)
#   XT_PROSODY          prosody executable (default: prosody)
#   XT_PROSODYCTL       prosodyctl executable (default: prosodyctl)
#   XT_WRAP             a command line the tools run under, e.g.
#                       XT_WRAP="valgrind -q --error-exitcode=99" (make
#                       valgrind): XT_BIN then holds one script per tool,
#                       each running `$XT_WRAP $XT_TOP/bin/TOOL "$@"`
#   XT_WRAP_COMM        what /proc/PID/comm of a wrapped tool says (the
#                       wrapper's own process name); see xt_comm
# Exported for the tests: XT_DIR XT_TOP XT_BIN XT_DOMAIN XT_CERTS XT_CA,
# after prosody_start XT_PORT XT_TLS_PORT XT_PROSODY_DIR XT_PROSODY_CFG
# XT_PROSODY_PID (and XT_HTTPS_PORT with XT_PROSODY_UPLOAD), after fake_start XT_FAKE_PORT XT_FAKE_LOG XT_FAKE_EVENTS.
# XDG_* point into XT_DIR and XMPP_JID/XMPP_PASSWORD are unset, so the
# developer's own configuration never leaks into a test.

if [ -n "${XT_LIB_LOADED:-}" ]; then
	return 0
fi
XT_LIB_LOADED=1

XT_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
XT_TOP=$(cd "$XT_LIB_DIR/../.." && pwd)
XT_BIN=$XT_TOP/bin
XT_MAIN_PID=$BASHPID
XT_PYTHON=${XT_PYTHON:-python3}
# Resolve a pyenv-style shim once: it costs ~0.1 s on every call.
XT_PYTHON=$("$XT_PYTHON" -c 'import sys; print(sys.executable)' 2>/dev/null) ||
	XT_PYTHON=python3
XT_PROSODY=${XT_PROSODY:-prosody}
XT_PROSODYCTL=${XT_PROSODYCTL:-prosodyctl}
XT_DOMAIN=xt.test
export XT_DOMAIN XT_TOP XT_BIN

# ---------------------------------------------------------------- TAP

XT_TAP_N=0
XT_TAP_FAILED=0
XT_TAP_PLAN=

# plan N: print the plan up front.
plan() {
	XT_TAP_PLAN=$1
	printf '1..%s\n' "$1"
}

# done_testing: print the plan at the end (when plan was not used).
done_testing() {
	if [ -z "$XT_TAP_PLAN" ]; then
		XT_TAP_PLAN=$XT_TAP_N
		printf '1..%s\n' "$XT_TAP_N"
	fi
}

# One line; a '#' in a description would start a TAP directive.
_xt_desc() {
	local d=$*
	d=${d//$'\n'/ }
	d=${d//\\/\\\\}
	printf '%s' "${d//#/\\#}"
}

# diag MSG...: each MSG as comment lines on stderr (prove shows them);
# note MSG...: the same on stdout.
diag() {
	local m line
	for m; do
		while IFS= read -r line; do
			printf '# %s\n' "$line" >&2
		done <<<"$m"
	done
}
note() {
	local m line
	for m; do
		while IFS= read -r line; do
			printf '# %s\n' "$line"
		done <<<"$m"
	done
}

# Where the test was called from: the first frame outside the helpers.
_xt_caller() {
	local i
	for ((i = 1; i < ${#FUNCNAME[@]}; i++)); do
		case ${FUNCNAME[i]} in
		pass | fail | ok | is | isnt | like | unlike | file_like | file_unlike) ;;
		*)
			printf '%s line %s' "${BASH_SOURCE[i]}" "${BASH_LINENO[i - 1]}"
			return
			;;
		esac
	done
	printf '%s line %s' "${BASH_SOURCE[i - 1]}" "${BASH_LINENO[i - 2]}"
}

# pass DESC / fail DESC
pass() {
	XT_TAP_N=$((XT_TAP_N + 1))
	printf 'ok %d - %s\n' "$XT_TAP_N" "$(_xt_desc "$*")"
	return 0
}
fail() {
	XT_TAP_N=$((XT_TAP_N + 1))
	XT_TAP_FAILED=$((XT_TAP_FAILED + 1))
	printf 'not ok %d - %s\n' "$XT_TAP_N" "$(_xt_desc "$*")"
	diag "  Failed test '$*'" "  at $(_xt_caller)."
	return 1
}

# ok STATUS DESC: passes when STATUS (an exit status) is 0.  `cmd; ok $? desc`
ok() {
	local st=$1
	shift
	if [ "$st" = 0 ]; then
		pass "$@"
	else
		fail "$@"
		diag "  exit status: $st"
		return 1
	fi
}

# is GOT WANT DESC: string equality.
is() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3"
		diag "         got: '$1'" "    expected: '$2'"
		return 1
	fi
}

# isnt GOT UNWANTED DESC
isnt() {
	if [ "$1" != "$2" ]; then
		pass "$3"
	else
		fail "$3"
		diag "         got: '$1'" "    expected: anything else"
		return 1
	fi
}

# like TEXT REGEX DESC: TEXT matches the extended regular expression.
like() {
	if [[ $1 =~ $2 ]]; then
		pass "$3"
	else
		fail "$3"
		diag "                  '${1:0:2000}'" "    doesn't match '$2'"
		return 1
	fi
}

# unlike TEXT REGEX DESC
unlike() {
	if [[ $1 =~ $2 ]]; then
		fail "$3"
		diag "                  '${1:0:2000}'" "          matches '$2'"
		return 1
	else
		pass "$3"
	fi
}

# file_like FILE REGEX DESC / file_unlike FILE REGEX DESC: grep -E on a file
# (binary-safe; a missing file counts as empty).
file_like() {
	if [ -f "$1" ] && LC_ALL=C grep -aEq -- "$2" "$1"; then
		pass "$3"
	else
		fail "$3"
		diag "    $1 has no line matching '$2'"
		return 1
	fi
}
file_unlike() {
	local hit
	if [ -f "$1" ] && hit=$(LC_ALL=C grep -aE -m1 -- "$2" "$1"); then
		fail "$3"
		diag "    $1 matches '$2':" "    ${hit:0:500}"
		return 1
	else
		pass "$3"
	fi
}

# skip REASON [N]: record N (default 1) skipped tests.
skip() {
	local i n=${2:-1}
	for ((i = 0; i < n; i++)); do
		XT_TAP_N=$((XT_TAP_N + 1))
		printf 'ok %d # skip %s\n' "$XT_TAP_N" "$(_xt_desc "$1")"
	done
}

# skip_all REASON: skip the whole script (before any test) and exit 0.
skip_all() {
	printf '1..0 # SKIP %s\n' "$(_xt_desc "$*")"
	XT_TAP_PLAN=0
	exit 0
}

# bail_out REASON: stop the whole prove run.
bail_out() {
	printf 'Bail out! %s\n' "$(_xt_desc "$*")"
	exit 255
}

# --------------------------------------------------------- clean-up

XT_AT_EXIT=()

# Servers must be started by the main shell: one started in $(...), a
# pipeline or ( ) would be unknown to the EXIT trap.
_xt_main_shell() {
	if [ "$BASHPID" != "$XT_MAIN_PID" ]; then
		echo "$1: call it from the main shell, not from \$(...), ( ) or a pipeline" >&2
		return 1
	fi
}

# xt_at_exit 'COMMAND': run COMMAND (eval'd) from the EXIT trap, before
# the servers are stopped and the temp dir removed; last registered, first run.
xt_at_exit() {
	XT_AT_EXIT+=("$1")
}

_xt_exit() {
	local st=$? i
	set +eu
	trap - EXIT INT TERM HUP
	# Only the shell that sourced us cleans up, never a subshell.
	if [ "$BASHPID" != "$XT_MAIN_PID" ]; then
		return "$st"
	fi
	for ((i = ${#XT_AT_EXIT[@]} - 1; i >= 0; i--)); do
		eval "${XT_AT_EXIT[i]}" || :
	done
	fake_stop
	prosody_stop
	if [ -n "${XT_KEEP:-}" ]; then
		printf '# XT_KEEP: left %s\n' "$XT_DIR" >&2
	else
		rm -rf -- "$XT_DIR"
	fi
	if [ "$st" = 0 ] && [ "$XT_TAP_FAILED" -gt 0 ]; then
		st=$((XT_TAP_FAILED > 254 ? 254 : XT_TAP_FAILED))
	fi
	exit "$st"
}
trap _xt_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ----------------------------------------------------------- temp dir

XT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/xt.XXXXXXXX") || {
	printf 'Bail out! mktemp -d failed\n'
	exit 255
}
case $XT_DIR in
*[[:space:]]*)
	# xt_opts prints words for unquoted expansion: keep paths blank-free.
	rmdir "$XT_DIR"
	XT_DIR=$(mktemp -d /tmp/xt.XXXXXXXX) || exit 255
	;;
esac
chmod 700 "$XT_DIR"
export XT_DIR

# XT_WRAP: the tools run under a wrapper (valgrind).  The scripts keep the
# tools' names, so the tests' "$XT_BIN/xmpp-send" stays as it is.
if [ -n "${XT_WRAP:-}" ]; then
	mkdir "$XT_DIR/wrap" || exit 255
	for _xt_f in "$XT_TOP"/bin/*; do
		[ -x "$_xt_f" ] || continue
		printf '#!/bin/sh\nexec %s %s "$@"\n' "$XT_WRAP" "$_xt_f" \
			>"$XT_DIR/wrap/${_xt_f##*/}" &&
			chmod 755 "$XT_DIR/wrap/${_xt_f##*/}" || exit 255
	done
	unset _xt_f
	XT_BIN=$XT_DIR/wrap
	export XT_BIN
fi

# xt_comm TOOL: what /proc/PID/comm says while TOOL runs (TOOL itself,
# under XT_WRAP the wrapper's process name, XT_WRAP_COMM).
xt_comm() {
	if [ -n "${XT_WRAP:-}" ]; then
		printf '%s\n' "${XT_WRAP_COMM:-$1}"
	else
		printf '%s\n' "$1"
	fi
}

# Keep the developer's own configuration, keys and account out of the tests.
export XDG_CONFIG_HOME=$XT_DIR/xdg/config
export XDG_DATA_HOME=$XT_DIR/xdg/data
export XDG_CACHE_HOME=$XT_DIR/xdg/cache
export XDG_RUNTIME_DIR=$XT_DIR/xdg/run
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
unset XMPP_JID XMPP_PASSWORD

# xt_tmpdir: print a new private directory (inside $XT_DIR, removed on exit).
xt_tmpdir() {
	mktemp -d "$XT_DIR/tmp.XXXXXXXX"
}

# --------------------------------------------------------------- ports

# free_port: print a TCP port free on 127.0.0.1, never the same twice in
# one script (also when called from $(...)).  Ports are picked below
# Linux's ephemeral range so that no outgoing connection takes them.
free_port() {
	local used=$XT_DIR/.ports p i
	touch "$used"
	if command -v ss >/dev/null 2>&1; then
		local busy
		busy=$(ss -Htan 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }')
		for ((i = 0; i < 200; i++)); do
			p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
			grep -qx "$p" "$used" && continue
			grep -qx "$p" <<<"$busy" && continue
			echo "$p" >>"$used"
			echo "$p"
			return 0
		done
	else
		for ((i = 0; i < 50; i++)); do
			p=$("$XT_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') || return 1
			grep -qx "$p" "$used" && continue
			echo "$p" >>"$used"
			echo "$p"
			return 0
		done
	fi
	echo "free_port: no free port found" >&2
	return 1
}

# xt_port_open PORT: true if something accepts TCP connections on 127.0.0.1:PORT.
xt_port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# xt_wait_port PORT [SECONDS]: wait (default 15 s) until PORT accepts.
xt_wait_port() {
	local port=$1 limit=$((${2:-15} * 20)) i
	for ((i = 0; i < limit; i++)); do
		xt_port_open "$port" && return 0
		sleep 0.05
	done
	return 1
}

# ------------------------------------------------------- certificates

_xt_date() {
	date -u -d "$1" '+%Y-%m-%d %H:%M:%S UTC'
}

_xt_key() {
	certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 \
		--outfile "$1" >/dev/null 2>&1 && chmod 600 "$1"
}

# xt_ca_make DIR [NAME]: a throw-away CA (ECDSA P-256, valid from 3 days ago
# to 3 days ahead): DIR/NAME.pem and DIR/NAME.key (NAME defaults to "ca").
xt_ca_make() {
	local dir=$1 name=${2:-ca}
	mkdir -p "$dir" || return 1
	_xt_key "$dir/$name.key" || return 1
	cat >"$dir/$name.tmpl" <<EOF
cn = "xmpp-tools test $name $$"
ca
cert_signing_key
crl_signing_key
activation_date = "$(_xt_date '-3 days')"
expiration_date = "$(_xt_date '+3 days')"
EOF
	certtool --generate-self-signed --load-privkey "$dir/$name.key" \
		--template "$dir/$name.tmpl" --outfile "$dir/$name.pem" \
		>/dev/null 2>"$dir/$name.err" || {
		cat "$dir/$name.err" >&2
		return 1
	}
}

# xt_cert_make DIR NAME [OPTION...] [DNSNAME...]: DIR/NAME.crt and DIR/NAME.key.
#   --ca CANAME     issuer DIR/CANAME.pem + .key (default: ca); --self: self-signed
#   --issuer CERT KEY  issue with any certificate and key (even a non-CA one)
#   --expired       valid from 2 days ago to yesterday
#   --notyet        valid from tomorrow to the day after
#   --purpose server|client|none  extended key usage (default: server)
#   --cn CN         subject CN (default: the first DNS name, else NAME)
#   --xmpp DOMAIN   an id-on-xmppAddr otherName (RFC 6120 section 13.7.1.4)
#   --srv NAME      an id-on-dnsSRV otherName, e.g. _xmpp-client.xt.test (RFC 4985)
# The default validity is from 1 day ago to 2 days ahead (inside the CA's).
xt_cert_make() {
	local dir=$1 name=$2
	shift 2 || return 1
	local ca=ca self='' issuer='' issuerkey='' purpose=server cn='' xmpp='' srv=''
	local act='-1 day' exp='+2 days' dns=() n hex
	while [ $# -gt 0 ]; do
		case $1 in
		--ca) ca=$2; shift ;;
		--self) self=1 ;;
		--issuer) issuer=$2; issuerkey=$3; shift 2 ;;
		--expired) act='-2 days'; exp='-1 day' ;;
		--notyet) act='+1 day'; exp='+2 days' ;;
		--purpose) purpose=$2; shift ;;
		--cn) cn=$2; shift ;;
		--xmpp) xmpp=$2; shift ;;
		--srv) srv=$2; shift ;;
		--*) echo "xt_cert_make: unknown option $1" >&2; return 2 ;;
		*) dns+=("$1") ;;
		esac
		shift
	done
	[ -n "$cn" ] || cn=${dns[0]:-$name}
	_xt_key "$dir/$name.key" || return 1
	{
		printf 'cn = "%s"\n' "$cn"
		for n in "${dns[@]}"; do
			printf 'dns_name = "%s"\n' "$n"
		done
		[ -z "$xmpp" ] || printf 'xmpp_name = "%s"\n' "$xmpp"
		if [ -n "$srv" ]; then
			# IA5String (tag 0x16), short length form: names < 128 bytes.
			hex=$(printf '%s' "$srv" | od -An -v -tx1 | tr -d ' \n')
			printf 'other_name = "1.3.6.1.5.5.7.8.7 16%02x%s"\n' "${#srv}" "$hex"
		fi
		case $purpose in
		server) echo tls_www_server ;;
		client) echo tls_www_client ;;
		none) ;;
		*) echo "xt_cert_make: bad purpose $purpose" >&2; return 2 ;;
		esac
		echo signing_key
		printf 'activation_date = "%s"\n' "$(_xt_date "$act")"
		printf 'expiration_date = "%s"\n' "$(_xt_date "$exp")"
	} >"$dir/$name.tmpl" || return 1
	if [ -n "$self" ]; then
		certtool --generate-self-signed --load-privkey "$dir/$name.key" \
			--template "$dir/$name.tmpl" --outfile "$dir/$name.crt" \
			>/dev/null 2>"$dir/$name.err"
	else
		[ -n "$issuer" ] || { issuer=$dir/$ca.pem; issuerkey=$dir/$ca.key; }
		certtool --generate-certificate --load-privkey "$dir/$name.key" \
			--load-ca-certificate "$issuer" --load-ca-privkey "$issuerkey" \
			--template "$dir/$name.tmpl" --outfile "$dir/$name.crt" \
			>/dev/null 2>"$dir/$name.err"
	fi || {
		cat "$dir/$name.err" >&2
		return 1
	}
}

# xt_certs_make DIR: the CA and every certificate the tests need, and exports
# XT_CERTS=DIR and XT_CA=DIR/ca.pem.  Each NAME has DIR/NAME.crt + DIR/NAME.key:
#   good        xt.test, TLS WWW server, issued by ca.pem
#   wrongname   other.test
#   expired     xt.test, expired yesterday
#   notyet      xt.test, valid from tomorrow
#   untrusted   xt.test, issued by a second CA (DIR/ca2.pem) the tools don't trust
#   selfsigned  xt.test, self-signed
#   clientonly  xt.test, key purpose TLS WWW client only
#   wildcard    *.xt.test only (must not match the bare xt.test)
#   srvtarget   host.xt.test only (the SRV target, not the JID domain)
#   nonca       xt.test issued by good.crt (not a CA); nonca.crt holds the
#               leaf followed by good.crt
#   xmppaddr    no dNSName, only an XmppAddr for xt.test (acceptable, RFC 6120)
#   srvid       no dNSName, only the SRV-ID _xmpp-client.xt.test (acceptable, RFC 6125)
#   other.test  a good certificate for other.test (a second test domain)
#   upload      localhost, issued by ca2, another key: Prosody's HTTPS
#               (XT_PROSODY_UPLOAD); trust it with both CAs in one file
# Takes well under a second (ECDSA P-256).
xt_certs_make() {
	local d=$1
	mkdir -p "$d" && chmod 700 "$d" || return 1
	xt_ca_make "$d" ca &&
		xt_ca_make "$d" ca2 &&
		xt_cert_make "$d" good xt.test &&
		xt_cert_make "$d" wrongname other.test &&
		xt_cert_make "$d" expired --expired xt.test &&
		xt_cert_make "$d" notyet --notyet xt.test &&
		xt_cert_make "$d" untrusted --ca ca2 xt.test &&
		xt_cert_make "$d" selfsigned --self xt.test &&
		xt_cert_make "$d" clientonly --purpose client xt.test &&
		xt_cert_make "$d" wildcard '*.xt.test' &&
		xt_cert_make "$d" srvtarget host.xt.test &&
		xt_cert_make "$d" nonca.leaf --issuer "$d/good.crt" "$d/good.key" xt.test &&
		xt_cert_make "$d" xmppaddr --cn 'xmppaddr only' --xmpp xt.test &&
		xt_cert_make "$d" srvid --cn 'srv-id only' --srv _xmpp-client.xt.test &&
		xt_cert_make "$d" other.test other.test &&
		xt_cert_make "$d" upload --ca ca2 localhost || return 1
	cat "$d/nonca.leaf.crt" "$d/good.crt" >"$d/nonca.crt" &&
		cp "$d/nonca.leaf.key" "$d/nonca.key" && chmod 600 "$d/nonca.key" || return 1
	XT_CERTS=$d
	XT_CA=$d/ca.pem
	export XT_CERTS XT_CA
}

# Make the certificates once per script, in $XT_DIR/certs.
_xt_certs_once() {
	[ -n "${XT_CERTS:-}" ] && [ -f "$XT_CERTS/good.crt" ] && return 0
	xt_certs_make "$XT_DIR/certs"
}

# ------------------------------------------------------------ prosody

XT_PROSODY_PID=
XT_PROSODY_WATCHDOG=

# Lua string literal.
_xt_lua() {
	local s=${1//\\/\\\\}
	printf '"%s"' "${s//\"/\\\"}"
}

# Kill PID: SIGTERM, then SIGKILL after SECONDS (default 5); reaps it.
_xt_kill() {
	local pid=$1 limit=$((${2:-5} * 20)) i
	[ -n "$pid" ] || return 0
	if ! kill -TERM "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null || :
		return 0
	fi
	for ((i = 0; i < limit; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || :
	fi
	wait "$pid" 2>/dev/null || :
	return 0
}

# _xt_watchdog PID: a background guard that stops PID if this script dies
# without running its EXIT trap (SIGKILL); sets XT_WATCHDOG_PID.  Its output
# goes nowhere, so prove is never kept waiting.
_xt_watchdog() {
	local pid=$1
	(
		s=
		trap 'kill $s 2>/dev/null; exit 0' TERM
		while kill -0 "$XT_MAIN_PID" 2>/dev/null; do
			kill -0 "$pid" 2>/dev/null || exit 0
			sleep 1 &
			s=$!
			wait $s
		done
		kill -TERM "$pid" 2>/dev/null || exit 0
		for i in 1 2 3 4 5 6 7 8 9 10; do
			sleep 0.5
			kill -0 "$pid" 2>/dev/null || exit 0
		done
		kill -KILL "$pid" 2>/dev/null
	) </dev/null >/dev/null 2>&1 &
	XT_WATCHDOG_PID=$!
}

_xt_prosody_log_tail() {
	{
		echo "--- tail of $XT_PROSODY_DIR/prosody.log"
		tail -n 30 "$XT_PROSODY_DIR/prosody.log" 2>/dev/null
		echo "--- $XT_PROSODY_DIR/prosody.out"
		tail -n 30 "$XT_PROSODY_DIR/prosody.out" 2>/dev/null
	} | sed 's/^/# /' >&2
}

# prosody_start: start Prosody for xt.test on 127.0.0.1, with the MUC
# component conference.xt.test, and wait (at most 15 s) until it answers.
# Exports XT_PORT (c2s, STARTTLS), XT_TLS_PORT (direct TLS), XT_DOMAIN,
# XT_CA, XT_CERTS, XT_PROSODY_DIR, XT_PROSODY_CFG, XT_PROSODY_PID.  Returns 1 (log tail on stderr) if it does not come up.
# XT_PROSODY_PASSWORD_HASH=SHA-256 stores SCRAM-SHA-256 credentials, so that
# Prosody offers SCRAM-SHA-256 (and no SCRAM-SHA-1); the default is SHA-1.
prosody_start() {
	_xt_main_shell prosody_start || return 1
	if [ -n "$XT_PROSODY_PID" ]; then
		echo "prosody_start: already running (pid $XT_PROSODY_PID)" >&2
		return 1
	fi
	_xt_certs_once || return 1
	XT_PROSODY_DIR=$XT_DIR/prosody
	XT_PROSODY_CFG=$XT_PROSODY_DIR/prosody.cfg.lua
	export XT_PROSODY_DIR XT_PROSODY_CFG
	mkdir -p "$XT_PROSODY_DIR/data" "$XT_PROSODY_DIR/certs" || return 1
	chmod 700 "$XT_PROSODY_DIR"
	# Prosody also looks for HOST.crt/.key in its certificates directory.
	cp "$XT_CERTS/good.crt" "$XT_PROSODY_DIR/certs/xt.test.crt" &&
		cp "$XT_CERTS/good.key" "$XT_PROSODY_DIR/certs/xt.test.key" || return 1
	local try st
	# A port taken between free_port and the bind (another test running in
	# parallel) makes Prosody run without it: try again on other ports.
	for try in 1 2 3; do
		_xt_prosody_launch
		st=$?
		[ "$st" = 2 ] || return "$st"
		echo "prosody_start: port in use, trying others" >&2
	done
	return 1
}

# Write the configuration for new ports, start Prosody and wait until it
# answers (15 s at most): 0 when it does, 2 when a port was in use, else 1.
_xt_prosody_launch() {
	local d=$XT_PROSODY_DIR level=info crt key deadline pep='"pep";' sm=' "smacks";'
	local limits='' limits_cfg='' https='https_ports = { }' upload=''
	local upsize=${XT_PROSODY_UPLOAD:-0}
	if [ -z "${_XT_SAME_PORTS:-}" ]; then
		XT_PORT=$(free_port) && XT_TLS_PORT=$(free_port) || return 1
		XT_HTTPS_PORT=
	fi
	# XT_PROSODY_UPLOAD=BYTES: mod_http_file_share on upload.xt.test,
	# its URLs https://localhost:PORT/file_share/... (http_host), served
	# with a certificate of its own for localhost.
	if [ "$upsize" != 0 ]; then
		if ! [[ $upsize =~ ^[0-9]+$ ]]; then
			echo "prosody_start: XT_PROSODY_UPLOAD: not a number of bytes: $upsize" >&2
			return 1
		fi
		[ -n "${XT_HTTPS_PORT:-}" ] || XT_HTTPS_PORT=$(free_port) || return 1
		export XT_HTTPS_PORT
		https="https_ports = { $XT_HTTPS_PORT }
https_interfaces = { \"127.0.0.1\" }
https_ssl = { certificate = $(_xt_lua "$XT_CERTS/upload.crt"), key = $(_xt_lua "$XT_CERTS/upload.key") }"
		upload="
Component \"upload.$XT_DOMAIN\" \"http_file_share\"
	http_host = \"localhost\"
	http_file_share_size_limit = $upsize
	http_file_share_daily_quota = $((upsize * 1000))"
	fi
	export XT_PORT XT_TLS_PORT
	[ -z "${XT_PROSODY_DEBUG:-}" ] || [ "${XT_PROSODY_DEBUG}" = 0 ] || level=debug
	crt=$(_xt_lua "$d/certs/xt.test.crt")
	key=$(_xt_lua "$d/certs/xt.test.key")
	# XT_PROSODY_TLS=1.2: TLS 1.2 only, where Prosody 0.12 offers -PLUS.
	[ "${XT_PROSODY_TLS:-}" = 1.2 ] && key="$key, protocol = \"tlsv1_2\""
	# XT_PROSODY_NO_PEP=1: a server without PEP (mod_pep is not loaded).
	[ -z "${XT_PROSODY_NO_PEP:-}" ] || [ "$XT_PROSODY_NO_PEP" = 0 ] || pep=
	# XT_PROSODY_NO_SM=1: without Stream Management (Debian enables it).
	[ -z "${XT_PROSODY_NO_SM:-}" ] || [ "$XT_PROSODY_NO_SM" = 0 ] || sm=
	# XT_PROSODY_LIMITS=RATE: mod_limits shapes what Prosody reads from each
	# client to RATE.  A rate mod_limits cannot parse would silently become
	# its fallback of 3000 B/s, so refuse it here.  The burst is for the
	# select backend: epoll (0.12's default) applies the rate alone.
	if [ -n "${XT_PROSODY_LIMITS:-}" ] && [ "$XT_PROSODY_LIMITS" != 0 ]; then
		if ! [[ $XT_PROSODY_LIMITS =~ ^[0-9]+\ ?[bBkKmMgGtT][^/]*/s$ ]]; then
			echo "prosody_start: XT_PROSODY_LIMITS: not a rate like 10kb/s: $XT_PROSODY_LIMITS" >&2
			return 1
		fi
		limits=' "limits";'
		limits_cfg=$'\n'"limits = { c2s = { rate = $(_xt_lua "$XT_PROSODY_LIMITS"); burst = \"2s\" } }"
	fi
	rm -f "$d/prosody.log" "$d/prosody.out"
	cat >"$XT_PROSODY_CFG" <<EOF
-- Written by tests/integration/lib.sh; /etc/prosody is not used.
daemonize = false
run_as_root = true -- CI runs as root; ignored otherwise
prosody_user = $(_xt_lua "$(id -un)")
prosody_group = $(_xt_lua "$(id -gn)")
pidfile = $(_xt_lua "$d/prosody.pid")
data_path = $(_xt_lua "$d/data")
plugin_paths = { }
log = { { levels = { min = "$level" }, to = "file", filename = $(_xt_lua "$d/prosody.log") } }

interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { $XT_PORT }
c2s_interfaces = { "127.0.0.1" }
c2s_direct_tls_ports = { $XT_TLS_PORT }
c2s_direct_tls_interfaces = { "127.0.0.1" }
c2s_direct_tls_ssl = { certificate = $crt, key = $key }
s2s_ports = { }
s2s_direct_tls_ports = { }
s2s_interfaces = { }
component_ports = { }
http_ports = { }
$https

modules_enabled = {
	"roster"; "saslauth"; "tls"; "disco"; "ping"; ${pep}
	"offline"; "presence"; "message"; "iq"; "carbons";${sm}${limits}
}
modules_disabled = { }${limits_cfg}

c2s_require_encryption = true
allow_registration = false
authentication = "internal_hashed"
password_hash = $(_xt_lua "${XT_PROSODY_PASSWORD_HASH:-SHA-1}")
storage = "internal"
certificates = $(_xt_lua "$d/certs")
ssl = { certificate = $crt, key = $key }

VirtualHost "xt.test"
	ssl = { certificate = $crt, key = $key }

-- Chat rooms (XEP-0045), made by whoever joins first (Prosody's default).
Component "conference.xt.test" "muc"
	restrict_room_creation = false
$upload
EOF

	"$XT_PROSODY" --config "$XT_PROSODY_CFG" -F \
		</dev/null >"$d/prosody.out" 2>&1 &
	XT_PROSODY_PID=$!
	export XT_PROSODY_PID
	_xt_watchdog "$XT_PROSODY_PID"
	XT_PROSODY_WATCHDOG=$XT_WATCHDOG_PID

	# Ready when the STARTTLS port answers a stream header with its features
	# (the virtual host is up) and the direct TLS port accepts.
	deadline=$(($(_xt_now_ms) + 15000))
	while [ "$(_xt_now_ms)" -lt "$deadline" ]; do
		if ! kill -0 "$XT_PROSODY_PID" 2>/dev/null; then
			echo "prosody_start: prosody exited" >&2
			_xt_prosody_log_tail
			prosody_stop
			return 1
		fi
		if grep -q 'Failed to open server port' "$d/prosody.log" 2>/dev/null; then
			prosody_stop
			return 2
		fi
		if _xt_prosody_probe "$XT_PORT" && xt_port_open "$XT_TLS_PORT" &&
			{ [ "$upsize" = 0 ] || xt_port_open "$XT_HTTPS_PORT"; }; then
			return 0
		fi
		sleep 0.05
	done
	echo "prosody_start: not answering after 15 s" >&2
	_xt_prosody_log_tail
	prosody_stop
	return 1
}

# Milliseconds since the epoch (bash >= 5, else date).
_xt_now_ms() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		local t=${EPOCHREALTIME//[.,]/}
		echo $((10#$t / 1000))
	else
		echo $(($(date +%s%N) / 1000000))
	fi
}

# True if 127.0.0.1:PORT answers a c2s stream header for xt.test with STARTTLS.
_xt_prosody_probe() {
	(
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='%s' version='1.0'>" "$XT_DOMAIN" >&3
		buf=
		while IFS= read -r -t 1 -d '>' chunk <&3; do
			buf+="$chunk>"
			case $buf in
			*'</stream:features>'*) break ;;
			esac
		done
		printf '</stream:stream>' >&3
		case $buf in
		*'<starttls'*) exit 0 ;;
		esac
		exit 1
	) 2>/dev/null
}

# prosody_stop: stop Prosody (SIGTERM, SIGKILL after 5 s).  Idempotent; run
# by the EXIT trap.
# prosody_restart: stop Prosody and start it again on the same ports, with
# the same accounts and stored messages (a server restart as clients see it).
prosody_restart() {
	prosody_stop
	_XT_SAME_PORTS=1 _xt_prosody_launch
}

prosody_stop() {
	if [ -n "$XT_PROSODY_WATCHDOG" ]; then
		kill -TERM "$XT_PROSODY_WATCHDOG" 2>/dev/null || :
		wait "$XT_PROSODY_WATCHDOG" 2>/dev/null || :
		XT_PROSODY_WATCHDOG=
	fi
	if [ -n "$XT_PROSODY_PID" ]; then
		_xt_kill "$XT_PROSODY_PID" 5
		XT_PROSODY_PID=
	fi
	return 0
}

# prosody_adduser NAME [PASSWORD]: create NAME@xt.test (default password: a
# random one) and write it to $XT_DIR/NAME.pw (mode 0600).
prosody_adduser() {
	local name=$1 pw=${2:-}
	[ -n "${XT_PROSODY_CFG:-}" ] || {
		echo "prosody_adduser: call prosody_start first" >&2
		return 1
	}
	[ -n "$pw" ] || pw=$name-$(_xt_random)
	_xt_pwfile "$name" "$pw" || return 1
	# prosodyctl talks to no running server: it writes the account file,
	# which the running Prosody reads on each login.
	"$XT_PROSODYCTL" --config "$XT_PROSODY_CFG" register "$name" "$XT_DOMAIN" "$pw" \
		</dev/null >"$XT_PROSODY_DIR/prosodyctl.out" 2>&1 || {
		echo "prosody_adduser: prosodyctl register $name failed:" >&2
		sed 's/^/# /' "$XT_PROSODY_DIR/prosodyctl.out" >&2
		return 1
	}
}

_xt_random() {
	od -An -N8 -tx1 /dev/urandom | tr -d ' \n'
}

# The password file holds the password alone, no newline.
_xt_pwfile() {
	(umask 077 && printf '%s' "$2" >"$XT_DIR/$1.pw")
}

# ------------------------------------------------------ tool options

# xt_account NAME: print the login options for NAME@xt.test
# (-a NAME@xt.test --password-file $XT_DIR/NAME.pw).  Without an account
# made by prosody_adduser, the file gets a canary password, "canary-NAME-HEX"
# (for fake servers: it must never show up in $XT_FAKE_LOG).
xt_account() {
	local name=$1
	[ -f "$XT_DIR/$name.pw" ] || _xt_pwfile "$name" "canary-$name-$(_xt_random)" || return 1
	printf '%s\n' -a "$name@$XT_DOMAIN" --password-file "$XT_DIR/$name.pw"
}

# xt_password NAME: print NAME's password.
xt_password() {
	xt_account "$1" >/dev/null && head -n 1 "$XT_DIR/$1.pw"
}

# recv_bare FILE: xmpp-recv's text records as "BAREJID: text" (time, type
# and resource dropped; continuation lines as they are), for tests that
# look at who sent what.
recv_bare() { sed -E 's/^[^ ]+ [a-z]+ ([^/ ]+)(\/[^ ]*)?: /\1: /' "$1"; }

# xt_opts NAME: options to log in as NAME on the Prosody STARTTLS port:
#   bin/xmpp-send $(xt_opts alice) bob@xt.test
xt_opts() {
	xt_account "$1" && printf '%s\n' --server "127.0.0.1:$XT_PORT" --cafile "$XT_CA"
}

# xt_opts_tls NAME: the same for the Prosody direct TLS port.
xt_opts_tls() {
	xt_account "$1" && printf '%s\n' --server "127.0.0.1:$XT_TLS_PORT" --direct-tls --cafile "$XT_CA"
}

# xt_fake_opts NAME: the same for the fake server (add --direct-tls for the
# directtls modes yourself).
xt_fake_opts() {
	xt_account "$1" && printf '%s\n' --server "127.0.0.1:$XT_FAKE_PORT" --cafile "$XT_CA"
}

# xt_tls_probe PORT [starttls|direct] [1.2|1.3|""] [NAME]: connect to
# 127.0.0.1:PORT as an XMPP client of xt.test (STARTTLS by default), verify
# the server against $XT_CA for the name xt.test (TLS version at most the one
# given), and print
#   tls VERSION CIPHER
#   mechanisms MECH...     (the SASL mechanisms offered after TLS)
#   features <stream:features>...</stream:features>
#   auth success|failure   (only with NAME: SASL PLAIN as NAME@xt.test with
#                           the password in $XT_DIR/NAME.pw)
# Sends no credentials without NAME.  Exit status 1 if STARTTLS or the
# verification fails (the reason on stderr).  An independent reference
# client for the tests, not a tool under test.
xt_tls_probe() {
	local pwfile=
	[ -z "${4:-}" ] || pwfile=$XT_DIR/$4.pw
	"$XT_PYTHON" - "$1" "${2:-starttls}" "${3:-}" "$XT_CA" "$XT_DOMAIN" \
		"${4:-}" "$pwfile" <<'PY'
import base64, re, socket, ssl, sys
port, how, maxv, ca, domain, user, pwfile = sys.argv[1:8]
port = int(port)
hdr = ("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
       "xmlns:stream='http://etherx.jabber.org/streams' to='%s' version='1.0'>"
       % domain).encode()
def read_until(sock, pattern):
    buf = b""
    while True:
        m = re.search(pattern, buf, re.S)
        if m:
            return m
        data = sock.recv(65536)
        if not data:
            sys.exit("xt_tls_probe: connection closed; got %r" % buf[-300:])
        buf += data
ctx = ssl.create_default_context(cafile=ca)
if maxv:
    ctx.maximum_version = {"1.2": ssl.TLSVersion.TLSv1_2,
                           "1.3": ssl.TLSVersion.TLSv1_3}[maxv]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
try:
    if how == "starttls":
        s.sendall(hdr)
        read_until(s, rb"</stream:features>")
        s.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        m = read_until(s, rb"<(proceed|failure)\b")
        if m.group(1) != b"proceed":
            sys.exit("xt_tls_probe: STARTTLS refused")
    s = ctx.wrap_socket(s, server_hostname=domain)
except ssl.SSLError as e:
    sys.exit("xt_tls_probe: %s" % e)
print("tls", s.version(), s.cipher()[0])
s.sendall(hdr)
m = read_until(s, rb"<stream:features.*?</stream:features>")
feats = m.group(0).decode()
print("mechanisms", " ".join(re.findall(r"<mechanism>([^<]*)</mechanism>", feats)))
print("features", feats)
if user:
    with open(pwfile, "rb") as f:
        pw = f.read().split(b"\n")[0]
    cred = base64.b64encode(b"\0" + user.encode() + b"\0" + pw)
    s.sendall(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
              b"mechanism='PLAIN'>" + cred + b"</auth>")
    m = read_until(s, rb"<(success|failure)\b")
    print("auth", m.group(1).decode())
s.sendall(b"</stream:stream>")
s.close()
sys.stdout.flush()
PY
}

# -------------------------------------------------------- fake server

XT_FAKE_PID=
XT_FAKE_WATCHDOG=
XT_FAKE_N=0

# fake_start MODE [fakeserver.py options...]: run tests/integration/fakeserver.py
# on a free port and wait (at most 10 s) until it listens.  Exports
# XT_FAKE_PORT, XT_FAKE_LOG (bytes received, decrypted after TLS; a new
# file each start) and XT_FAKE_EVENTS (one line per connection event:
# accept, tls-ok VERSION, tls-fail, sni NAME, close).  A fake server already
# running is stopped first.  TLS modes take --cert/--key, or use
# $XT_CERTS/NAME.crt for MODE tls:NAME, directtls:NAME (default: good).
fake_start() {
	_xt_main_shell fake_start || return 1
	local mode=$1 d i try
	shift
	fake_stop
	_xt_certs_once || return 1
	for try in 1 2 3; do
		XT_FAKE_N=$((XT_FAKE_N + 1))
		d=$(mktemp -d "$XT_DIR/fake.$XT_FAKE_N.XXXXXX") || return 1
		XT_FAKE_LOG=$d/received.log
		XT_FAKE_EVENTS=$d/events.log
		XT_FAKE_PORT=$(free_port) || return 1
		export XT_FAKE_PORT XT_FAKE_LOG XT_FAKE_EVENTS
		: >"$XT_FAKE_LOG"
		: >"$XT_FAKE_EVENTS"
		"$XT_PYTHON" "$XT_LIB_DIR/fakeserver.py" --port "$XT_FAKE_PORT" \
			--mode "$mode" --certdir "$XT_CERTS" --log "$XT_FAKE_LOG" \
			--events "$XT_FAKE_EVENTS" --ready "$d/ready" "$@" \
			</dev/null >"$d/stderr" 2>&1 &
		XT_FAKE_PID=$!
		_xt_watchdog "$XT_FAKE_PID"
		XT_FAKE_WATCHDOG=$XT_WATCHDOG_PID
		for ((i = 0; i < 200; i++)); do
			[ -s "$d/ready" ] && return 0
			kill -0 "$XT_FAKE_PID" 2>/dev/null || break
			sleep 0.05
		done
		fake_stop
		# the port was taken meanwhile (by a test running in parallel)
		grep -q 'Address already in use' "$d/stderr" || break
	done
	echo "fake_start: fakeserver.py --mode $mode did not start:" >&2
	sed 's/^/# /' "$d/stderr" >&2
	return 1
}

# fake_stop: stop the fake server (idempotent; run by the EXIT trap).
fake_stop() {
	if [ -n "${XT_FAKE_WATCHDOG:-}" ]; then
		kill -TERM "$XT_FAKE_WATCHDOG" 2>/dev/null || :
		wait "$XT_FAKE_WATCHDOG" 2>/dev/null || :
		XT_FAKE_WATCHDOG=
	fi
	if [ -n "$XT_FAKE_PID" ]; then
		_xt_kill "$XT_FAKE_PID" 2
		XT_FAKE_PID=
	fi
	return 0
}

# ------------------------------------------- ejabberd, and either server
# ejabberd_start/_adduser/_stop and the XT_SERVER switch (server_start,
# server_adduser, ...) live in their own file: see its head.
. "$XT_LIB_DIR/ejabberd.sh"
