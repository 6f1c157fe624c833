# shellcheck shell=bash
# tests/integration/ejabberd.sh: a private ejabberd for the integration
# tests, and the switch that runs a scenario on either server.  Sourced by
# lib.sh (never on its own): it uses lib.sh's temp dir, ports, certificates,
# watchdog and clean-up.
#
#   ejabberd   ejabberd_start, ejabberd_adduser NAME [PW], ejabberd_stop,
#              ejabberd_restart, ejabberd_ctl ARGS...
#   either     server_start, server_adduser NAME [PW], server_stop,
#              server_restart, server_is NAME, server_skip_unless NAME REASON [N]
#
# ejabberd_start leaves the same variables as prosody_start for the tests:
# XT_PORT (c2s, STARTTLS required), XT_TLS_PORT (direct TLS), XT_DOMAIN,
# XT_CA, XT_CERTS, so xt_opts, xt_opts_tls and xt_tls_probe work unchanged;
# and XT_EJABBERD_DIR, XT_EJABBERD_CFG, XT_EJABBERD_PID (the process group
# of ejabberdctl and the Erlang VM it runs).
#
# Environment:
#   XT_SERVER=prosody|ejabberd  the server of server_start and friends
#                       (default prosody); a scenario that runs on both has
#                       a wrapper NN-name-ejabberd.test setting it
#   XT_EJABBERDCTL      ejabberdctl script (default: ejabberdctl, else
#                       /usr/sbin/ejabberdctl)
#   XT_EJABBERD_DEBUG=1 ejabberd logs at debug level
#   XT_EJABBERD_TLS=1.2 TLS 1.2 only (then ejabberd offers -PLUS)
#   XT_EJABBERD_PASSWORD_HASH=SHA-1|SHA-256|SHA-512  SCRAM credentials
#                       stored with this hash (default SHA-1); ejabberd
#                       offers SCRAM with that hash alone
#   XT_EJABBERD_NO_PEP=1 no mod_pubsub (no PEP service at all)
#   XT_EJABBERD_NO_SM=1 no mod_stream_mgmt
#   XT_EJABBERD_SHAPER=N the c2s listeners read N bytes/s (default: none)
#   XT_EJABBERD_ACK_QUEUE=N mod_stream_mgmt's max_ack_queue (default 5000)
#
# How it runs: ejabberdctl with a configuration of its own (-c CTLCFG; the
# system ejabberdctl.cfg would otherwise override -f), its own node name,
# cookie, Erlang distribution port (ERL_DIST_PORT: no epmd is started, none
# is left behind) and its own spool, log, pid and config paths, all in
# $XT_EJABBERD_DIR.  ejabberdctl insists on running as root or as the
# ejabberd user, and from root switches to the ejabberd user, who cannot
# enter the private temp dir; so the tests run a copy of the script that
# keeps the invoking user, as Prosody runs as the invoking user.  The
# system ejabberd (if the package started one) is never touched.

XT_EJABBERD_PID=
XT_EJABBERD_WATCHDOG=
XT_EJABBERD_REAL=
XT_SERVER=${XT_SERVER:-prosody}
export XT_SERVER

# ---------------------------------------------------------- ejabberd

# _xt_ejabberd_find: set XT_EJABBERD_REAL to the ejabberdctl to copy.
_xt_ejabberd_find() {
	local c=${XT_EJABBERDCTL:-}
	if [ -z "$c" ]; then
		c=$(command -v ejabberdctl 2>/dev/null) || c=/usr/sbin/ejabberdctl
	fi
	[ -f "$c" ] || return 1
	XT_EJABBERD_REAL=$c
}

# ejabberd_installed: true if ejabberdctl (and so ejabberd) is there.
ejabberd_installed() {
	_xt_ejabberd_find && command -v erl >/dev/null 2>&1
}

# ejabberd_ctl ARGS...: ejabberdctl for the running test server, its output
# in $XT_EJABBERD_DIR/ctl.out.
ejabberd_ctl() {
	local d=$XT_EJABBERD_DIR
	SCRIPT=$XT_EJABBERD_REAL bash "$d/ejabberdctl" --config-dir "$d" \
		--ctl-config "$d/ejabberdctl.cfg" "$@" </dev/null >"$d/ctl.out" 2>&1
}

_xt_ejabberd_log_tail() {
	{
		echo "--- tail of $XT_EJABBERD_DIR/log/ejabberd.log"
		tail -n 30 "$XT_EJABBERD_DIR/log/ejabberd.log" 2>/dev/null
		echo "--- $XT_EJABBERD_DIR/ejabberd.out"
		tail -n 30 "$XT_EJABBERD_DIR/ejabberd.out" 2>/dev/null
	} | sed 's/^/# /' >&2
}

# ejabberd_start: start ejabberd for xt.test on 127.0.0.1 and wait (at most
# 30 s) until it answers.  Exports XT_PORT, XT_TLS_PORT, XT_DOMAIN, XT_CA,
# XT_CERTS, XT_EJABBERD_DIR, XT_EJABBERD_CFG, XT_EJABBERD_PID.  Returns 1
# (log tail on stderr) if it does not come up.
ejabberd_start() {
	_xt_main_shell ejabberd_start || return 1
	if [ -n "$XT_EJABBERD_PID" ]; then
		echo "ejabberd_start: already running (pid $XT_EJABBERD_PID)" >&2
		return 1
	fi
	_xt_ejabberd_find || {
		echo "ejabberd_start: no ejabberdctl (set XT_EJABBERDCTL)" >&2
		return 1
	}
	_xt_certs_once || return 1
	XT_EJABBERD_DIR=$XT_DIR/ejabberd
	XT_EJABBERD_CFG=$XT_EJABBERD_DIR/ejabberd.yml
	export XT_EJABBERD_DIR XT_EJABBERD_CFG
	local d=$XT_EJABBERD_DIR try st
	# The spool stays from one start to the next in a script (the accounts
	# too), as Prosody's data directory does.
	mkdir -p "$d/spool" "$d/log" || return 1
	chmod 700 "$d"
	# The certificate file is the key and the certificate in one PEM.
	(umask 077 && cat "$XT_CERTS/good.crt" "$XT_CERTS/good.key" >"$d/xt.test.pem") ||
		return 1
	# Keep the invoking user (see the top of this file).
	sed 's/^INSTALLUSER=.*/INSTALLUSER=/' "$XT_EJABBERD_REAL" >"$d/ejabberdctl" &&
		grep -qx 'INSTALLUSER=' "$d/ejabberdctl" || {
		echo "ejabberd_start: $XT_EJABBERD_REAL has no INSTALLUSER line to change" >&2
		return 1
	}
	printf '%s\n' '{lookup, ["file", "native"]}.' \
		'{host, {127,0,0,1}, ["localhost"]}.' >"$d/inetrc"
	if [ -z "${_XT_EJABBERD_AT_EXIT:-}" ]; then
		xt_at_exit ejabberd_stop
		_XT_EJABBERD_AT_EXIT=1
	fi
	for try in 1 2 3; do
		_xt_ejabberd_launch
		st=$?
		[ "$st" = 2 ] || return "$st"
		echo "ejabberd_start: port in use, trying others" >&2
	done
	return 1
}

# ejabberd_restart: stop ejabberd and start it again on the same ports, with
# the same accounts and stored data.
ejabberd_restart() {
	ejabberd_stop
	_XT_SAME_PORTS=1 _xt_ejabberd_launch
}

# Write the configuration for new ports, start ejabberd and wait until it
# answers (30 s at most): 0 when it does, 2 when a port was in use, else 1.
_xt_ejabberd_launch() {
	local d=$XT_EJABBERD_DIR level=info hash=sha proto='' pep='' sm='' deadline
	local shaper=none shapers=
	if [ -z "${_XT_SAME_PORTS:-}" ]; then
		XT_PORT=$(free_port) && XT_TLS_PORT=$(free_port) &&
			XT_EJABBERD_DIST_PORT=$(free_port) || return 1
	fi
	export XT_PORT XT_TLS_PORT
	[ -z "${XT_EJABBERD_DEBUG:-}" ] || [ "$XT_EJABBERD_DEBUG" = 0 ] || level=debug
	case ${XT_EJABBERD_PASSWORD_HASH:-SHA-1} in
	SHA-1) hash=sha ;;
	SHA-256) hash=sha256 ;;
	SHA-512) hash=sha512 ;;
	*)
		echo "ejabberd_start: XT_EJABBERD_PASSWORD_HASH: SHA-1, SHA-256 or SHA-512" >&2
		return 1
		;;
	esac
	# XT_EJABBERD_TLS=1.2: TLS 1.2 only, where ejabberd 23.01 offers -PLUS.
	[ "${XT_EJABBERD_TLS:-}" = 1.2 ] && proto=$'\n    protocol_options:\n      - "no_tlsv1_3"'
	if [ -z "${XT_EJABBERD_NO_PEP:-}" ] || [ "$XT_EJABBERD_NO_PEP" = 0 ]; then
		# No mod_pep in 23.01: PEP is mod_pubsub with the pep plugin.
		pep=$'\n  mod_caps: {}\n  mod_pubsub:\n    access_createnode: local\n    plugins:\n      - flat\n      - pep'
	fi
	if [ -z "${XT_EJABBERD_NO_SM:-}" ] || [ "$XT_EJABBERD_NO_SM" = 0 ]; then
		# Unacknowledged messages go back to offline storage when the
		# session ends, as Prosody does; ejabberd's default
		# (resend_on_timeout: false) bounces them to their senders.
		sm=$'\n  mod_stream_mgmt:\n    resend_on_timeout: if_offline'
		[ -z "${XT_EJABBERD_ACK_QUEUE:-}" ] ||
			sm+=$'\n    max_ack_queue: '"$XT_EJABBERD_ACK_QUEUE"
	fi
	# XT_EJABBERD_SHAPER=N: what Debian's default c2s shaper does, at N.
	if [ -n "${XT_EJABBERD_SHAPER:-}" ]; then
		shaper=xt_c2s
		shapers=$'\nshaper:\n  xt_paced: '"$XT_EJABBERD_SHAPER"$'\nshaper_rules:\n  xt_c2s: xt_paced'
	fi
	# Its own node, cookie and distribution port: ejabberdctl reaches this
	# node alone, and ERL_DIST_PORT means no epmd (none left behind).
	cat >"$d/ejabberdctl.cfg" <<EOF
# Written by tests/integration/lib.sh; /etc/ejabberd is not used.
ERLANG_NODE=xt@localhost
ERL_DIST_PORT=$XT_EJABBERD_DIST_PORT
ERL_OPTIONS='-setcookie xt$(_xt_random) -kernel inet_dist_use_interface {127,0,0,1} -env ERL_CRASH_DUMP_BYTES 0'
SPOOL_DIR=$d/spool
LOGS_DIR=$d/log
EJABBERD_CONFIG_PATH=$XT_EJABBERD_CFG
EJABBERD_PID_PATH=$d/ejabberd.pid
CONTRIB_MODULES_PATH=$d/contrib
EJABBERD_BYPASS_WARNINGS=true
EOF
	# The c2s listeners need shaper none (Debian's default c2s shaper reads
	# 3000 bytes/s) and Prosody's stanza limit, 256 KiB.
	cat >"$XT_EJABBERD_CFG" <<EOF
# Written by tests/integration/lib.sh; /etc/ejabberd is not used.
loglevel: $level
log_rotate_count: 0
hosts:
  - "xt.test"
certfiles:
  - "$d/xt.test.pem"
ca_file: "$XT_CA"
acme:
  auto: false
listen:
  -
    port: $XT_PORT
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls_required: true
    max_stanza_size: 262144
    shaper: $shaper$proto
  -
    port: $XT_TLS_PORT
    ip: "127.0.0.1"
    module: ejabberd_c2s
    tls: true
    max_stanza_size: 262144
    shaper: $shaper$proto$shapers
auth_method: internal
auth_password_format: scram
auth_scram_hash: $hash
disable_sasl_mechanisms:
  - "digest-md5"
  - "x-oauth2"
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
api_permissions:
  "console commands":
    from:
      - ejabberd_ctl
    who: all
    what: "*"
modules:
  mod_roster: {}
  mod_disco: {}
  mod_offline: {}
  mod_carboncopy: {}
  mod_ping: {}$sm$pep
EOF
	rm -f "$d/ejabberd.out" "$d/ejabberd.pid"
	# Its own session and process group: ejabberdctl, the VM and its
	# helpers are stopped together, and a ^C at the terminal reaches the
	# script (whose EXIT trap stops them), not them.
	SCRIPT=$XT_EJABBERD_REAL setsid bash "$d/ejabberdctl" --config-dir "$d" \
		--ctl-config "$d/ejabberdctl.cfg" foreground \
		</dev/null >"$d/ejabberd.out" 2>&1 &
	XT_EJABBERD_PID=$!
	export XT_EJABBERD_PID
	_xt_ejabberd_watchdog "$XT_EJABBERD_PID"

	# Ready when the STARTTLS port answers a stream header with its features
	# (listeners start last, after authentication and the modules) and the
	# direct TLS port accepts.
	deadline=$(($(_xt_now_ms) + 30000))
	while [ "$(_xt_now_ms)" -lt "$deadline" ]; do
		if ! kill -0 "$XT_EJABBERD_PID" 2>/dev/null; then
			if grep -q 'eaddrinuse' "$d/log/ejabberd.log" "$d/ejabberd.out" 2>/dev/null; then
				ejabberd_stop
				return 2
			fi
			echo "ejabberd_start: ejabberd exited" >&2
			_xt_ejabberd_log_tail
			ejabberd_stop
			return 1
		fi
		if grep -q 'eaddrinuse' "$d/log/ejabberd.log" 2>/dev/null; then
			ejabberd_stop
			return 2
		fi
		if _xt_prosody_probe "$XT_PORT" && xt_port_open "$XT_TLS_PORT"; then
			return 0
		fi
		sleep 0.1
	done
	echo "ejabberd_start: not answering after 30 s" >&2
	_xt_ejabberd_log_tail
	ejabberd_stop
	return 1
}

# _xt_ejabberd_watchdog PGID: as _xt_watchdog, for a whole process group.
# The group exists only once setsid has run: until then, its leader's pid
# is what shows that it lives.
_xt_ejabberd_watchdog() {
	local pg=$1
	(
		s=
		trap 'kill $s 2>/dev/null; exit 0' TERM
		while kill -0 "$XT_MAIN_PID" 2>/dev/null; do
			kill -0 -- "-$pg" 2>/dev/null || kill -0 "$pg" 2>/dev/null || exit 0
			sleep 1 &
			s=$!
			wait $s
		done
		kill -TERM -- "-$pg" 2>/dev/null || exit 0
		for i in 1 2 3 4 5 6 7 8 9 10; do
			sleep 0.5
			kill -0 -- "-$pg" 2>/dev/null || exit 0
		done
		kill -KILL -- "-$pg" 2>/dev/null
	) </dev/null >/dev/null 2>&1 &
	XT_EJABBERD_WATCHDOG=$!
}

# ejabberd_stop: stop ejabberd (SIGTERM to its process group, SIGKILL after
# 5 s).  Idempotent; registered with xt_at_exit by ejabberd_start.
ejabberd_stop() {
	local pg=$XT_EJABBERD_PID i
	if [ -n "$XT_EJABBERD_WATCHDOG" ]; then
		kill -TERM "$XT_EJABBERD_WATCHDOG" 2>/dev/null || :
		wait "$XT_EJABBERD_WATCHDOG" 2>/dev/null || :
		XT_EJABBERD_WATCHDOG=
	fi
	[ -n "$pg" ] || return 0
	XT_EJABBERD_PID=
	kill -TERM -- "-$pg" 2>/dev/null || kill -TERM "$pg" 2>/dev/null || :
	for ((i = 0; i < 100; i++)); do
		kill -0 -- "-$pg" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL -- "-$pg" 2>/dev/null || kill -KILL "$pg" 2>/dev/null || :
	wait "$pg" 2>/dev/null || :
	return 0
}

# ejabberd_adduser NAME [PASSWORD]: register NAME@xt.test with ejabberdctl
# (default password: a random one) and write it to $XT_DIR/NAME.pw.
ejabberd_adduser() {
	local name=$1 pw=${2:-}
	[ -n "$XT_EJABBERD_PID" ] || {
		echo "ejabberd_adduser: call ejabberd_start first" >&2
		return 1
	}
	[ -n "$pw" ] || pw=$name-$(_xt_random)
	_xt_pwfile "$name" "$pw" || return 1
	ejabberd_ctl register "$name" "$XT_DOMAIN" "$pw" || {
		echo "ejabberd_adduser: ejabberdctl register $name failed:" >&2
		sed 's/^/# /' "$XT_EJABBERD_DIR/ctl.out" >&2
		return 1
	}
}

# ------------------------------------------------------ either server

# server_start, server_adduser NAME [PW], server_stop, server_restart:
# prosody_* or ejabberd_* as $XT_SERVER says.
_xt_server() {
	case $XT_SERVER in
	prosody | ejabberd) ;;
	*)
		echo "XT_SERVER: prosody or ejabberd, not '$XT_SERVER'" >&2
		return 1
		;;
	esac
}
server_start() {
	_xt_server || return 1
	if [ "$XT_SERVER" = ejabberd ] && ! ejabberd_installed; then
		# make check installs it (tests/deps.sh); a developer may not have.
		[ "$XT_TAP_N" = 0 ] && skip_all "ejabberd is not installed"
		echo "server_start: ejabberd is not installed" >&2
		return 1
	fi
	"${XT_SERVER}_start"
}
server_adduser() { _xt_server && "${XT_SERVER}_adduser" "$@"; }
server_stop() { _xt_server && "${XT_SERVER}_stop"; }
server_restart() { _xt_server && "${XT_SERVER}_restart"; }

# server_is NAME: true when the scenario runs on server NAME.
server_is() { [ "$XT_SERVER" = "$1" ]; }

# server_skip_unless NAME REASON [N]: on another server than NAME, record N
# (default 1) tests skipped for REASON and return 1, so that
#   server_skip_unless prosody "reads Prosody's store" 2 && { ...; }
# runs the two tests only on Prosody.
server_skip_unless() {
	server_is "$1" && return 0
	skip "on $XT_SERVER: $2" "${3:-1}"
	return 1
}
