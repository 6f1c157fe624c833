#!/bin/sh
# Install the Debian packages the build and the tests need, if any is
# missing. As root directly, otherwise through sudo.
set -e
pkgs="gcc make pkg-config libgnutls28-dev libgcrypt20-dev libxml2-dev
libidn-dev libidn2-dev libicu-dev prosody ejabberd gnutls-bin python3 python3-slixmpp mandoc
clang libclang-rt-14-dev cppcheck perl openssl libxml2-utils python3-openssl strace
python3-cryptography valgrind libcurl4-gnutls-dev curl"
[ -n "${XT_BENCH:-}" ] && pkgs="$pkgs go-sendxmpp time"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
# The packages start a system Prosody and a system ejabberd on 5222 where
# they can (the first to bind it keeps it); the tests run their own on free
# ports, each with its own configuration, and never touch those.
