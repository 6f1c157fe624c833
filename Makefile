# xmpp-tools: GNU make and pkg-config, no configure step.
# CFLAGS, CPPFLAGS and LDFLAGS stay the user's; the project's ride in XT_*.

PREFIX	?= /usr/local
MANDIR	?= $(PREFIX)/share/man
CC	?= cc
CFLAGS	?= -O2 -g
PKGS	= gnutls libgcrypt libxml-2.0 libidn libidn2

XT_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Wshadow \
	-Wno-unused-parameter -Wstrict-prototypes -Wmissing-prototypes \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2 -Ilib \
	$(shell pkg-config --cflags $(PKGS))
XT_LIBS	= $(shell pkg-config --libs $(PKGS)) -lresolv

TOOLS	= xmpp-send xmpp-recv
LIBSRC	= $(sort $(wildcard lib/*.c))
LIBOBJ	= $(LIBSRC:.c=.o)
UNITSRC	= $(sort $(wildcard tests/unit/*.c))
UNITS	= $(UNITSRC:.c=.test)
BINS	= $(addprefix bin/,$(TOOLS))

all: $(BINS)

lib/%.o: lib/%.c lib/xt.h
	$(CC) $(XT_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

lib/libxt.a: $(LIBOBJ)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJ)

bin/%: cmd/%.c lib/libxt.a
	@mkdir -p bin
	$(CC) $(XT_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< lib/libxt.a $(XT_LIBS)

tests/unit/%.test: tests/unit/%.c tests/unit/tap.h lib/libxt.a
	$(CC) $(XT_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< lib/libxt.a $(XT_LIBS)

units: $(UNITS)

.PHONY: all units check clean
clean:
	rm -rf bin lib/*.o lib/libxt.a tests/unit/*.test tests/fuzz/bin
