# xmpp-tools: GNU make and pkg-config, no configure step.
# CFLAGS, CPPFLAGS and LDFLAGS stay the user's; the project's ride in XT_*.

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
CC	?= cc
CFLAGS	?= -O2 -g
FUZZTIME ?= 60
PKGS	= gnutls libgcrypt libxml-2.0 libidn libidn2 icu-uc libcurl

XT_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Wshadow \
	-Wno-unused-parameter -Wstrict-prototypes -Wmissing-prototypes \
	-fstack-protector-strong -Ilib $(shell pkg-config --cflags $(PKGS))
XT_LIBS	= $(shell pkg-config --libs $(PKGS)) -lresolv

TOOLS	= xmpp-send xmpp-recv xmpp-keygen xmpp-revoke xmpp-attest xmpp-publish \
	  xmpp-fetchkey xtls-pipe
LIBSRC	= $(sort $(wildcard lib/*.c))
LIBOBJ	= $(LIBSRC:.c=.o)
UNITSRC	= $(sort $(wildcard tests/unit/*.c))
UNITS	= $(UNITSRC:.c=.test)
BINS	= $(addprefix bin/,$(TOOLS))
FUZZSRC	= $(sort $(wildcard tests/fuzz/*.c))
FUZZERS	= $(patsubst tests/fuzz/%.c,tests/fuzz/bin/%,$(FUZZSRC))
MAN1	= $(addprefix man/,$(addsuffix .1,$(TOOLS)))
MANALL	= $(MAN1) man/xmpp-tools.7 man/xmpp-tools.conf.5
TESTS	= $(UNITS) $(sort $(wildcard tests/cmd/*.test)) \
	$(sort $(wildcard tests/integration/*.test))

all: $(BINS)

lib/%.o: lib/%.c lib/xt.h lib/esession.h
	$(CC) $(XT_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

lib/libxt.a: $(LIBOBJ)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJ)

bin/%: cmd/%.c lib/libxt.a
	@mkdir -p bin
	$(CC) $(XT_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
	    lib/libxt.a $(XT_LIBS)

tests/unit/%.test: tests/unit/%.c tests/unit/tap.h lib/libxt.a
	$(CC) $(XT_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
	    lib/libxt.a $(XT_LIBS)

# Install what the build and the tests need (apt-get, once).
deps:
	@sh tests/deps.sh

check: deps all $(UNITS)
	prove $(PROVEFLAGS) $(TESTS)

# The main job on a throw-away local server.
demo: deps all
	@bash tests/demo.sh

sanitize: deps
	$(MAKE) clean
	$(MAKE) check CC=clang CFLAGS="-O1 -g -fsanitize=address,undefined \
	    -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    LDFLAGS="-fsanitize=address,undefined"
	$(MAKE) clean

# The unit and command tests under valgrind's memcheck: 0 errors wanted
# (invalid accesses, uninitialised values, definite leaks); logs in
# tests/valgrind.log/.
valgrind: deps all $(UNITS)
	@PROVEFLAGS='$(PROVEFLAGS)' sh tests/valgrind.sh

tests/fuzz/bin/%: tests/fuzz/%.c $(LIBSRC) lib/xt.h
	@mkdir -p tests/fuzz/bin
	clang -std=c11 -D_DEFAULT_SOURCE -g -O1 \
	    -fsanitize=fuzzer,address,undefined -Ilib \
	    $(shell pkg-config --cflags $(PKGS)) -o $@ $< $(LIBSRC) $(XT_LIBS)

fuzzers: $(FUZZERS)

# Each target for FUZZTIME seconds on a copy of its seed corpus; FUZZJOBS,
# FUZZLOG and FUZZMERGE as tests/fuzz/run.sh says.
fuzz: deps $(FUZZERS)
	@FUZZTIME=$(FUZZTIME) sh tests/fuzz/run.sh $(FUZZERS)

lint:
	mandoc -Tlint -W warning $(MANALL)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	    --inline-suppr -Ilib lib cmd

bench: all
	@XT_BENCH=1 sh tests/deps.sh
	@bash bench/send.sh
	@XT_SERVER=ejabberd bash bench/send.sh
	@bash bench/keys.sh
	@bash bench/xtls.sh
	@bash bench/esession.sh
	@bash bench/upload.sh

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 man/xmpp-tools.conf.5 $(DESTDIR)$(MANDIR)/man5
	install -m 644 man/xmpp-tools.7 $(DESTDIR)$(MANDIR)/man7

clean:
	rm -rf bin lib/*.o lib/libxt.a tests/unit/*.test tests/fuzz/bin \
	    tests/valgrind.log

.PHONY: all deps check demo sanitize valgrind fuzz fuzzers lint bench install clean
.SECONDARY: $(LIBOBJ)
