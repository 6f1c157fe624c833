#!/usr/bin/env python3
"""A scripted fake XMPP server for the integration tests of xmpp-tools.

It does what a real server must not: offers no STARTTLS, fails it, injects
plaintext after <proceed/>, serves bad certificates or old TLS versions,
or sends hostile XML.  Standard library only.

    fakeserver.py --port P --mode MODE [--cert C --key K | --certdir D]
                  [--log FILE] [--events FILE] [--ready FILE]

It listens on 127.0.0.1:P (0: any free port) and serves every connection
(each in its own thread) until it is killed.  --log gets everything
received, appended as raw bytes: plaintext before TLS, decrypted bytes after
the handshake (so a credential sent over a TLS session the client should have
refused shows up).  --events gets one line per connection event: "N accept",
"N starttls", "N sni xt.test", "N alpn xmpp-client", "N tls-ok TLSv1.3
CIPHER", "N tls-fail REASON", "N not-tls" (plaintext where the TLS handshake
belongs; it is logged), "N auth PLAIN", "N close".  --ready is written (the
port number) once the socket listens.

Modes (the server's stream header is always the one in HEADER below, sent
only after the client's own header has been read):
  silent             accept, read, never answer
  nostarttls         features offer only SASL PLAIN, no <starttls/>
  starttls-failure   offer STARTTLS, answer <starttls/> with <failure/> and close
  inject             offer STARTTLS, answer with <proceed/> and a plaintext
                     SASL <success/> in the same send, then TLS
  tls[:NAME]         STARTTLS, then TLS with --cert/--key (default
                     CERTDIR/NAME.crt and .key, NAME defaults to good)
  directtls[:NAME]   the same with TLS from the first byte
  tls10 tls11        STARTTLS, then a server speaking only TLS 1.0 / 1.1
  tls12 tls13        the same for TLS 1.2 / 1.3 (controls)
  login:KIND         STARTTLS with the good certificate, any PLAIN login
                     succeeds, then: binderror (bind answered with an
                     error), bindforeign (another account's jid bound),
                     forgedbind (a bind result from a third party first),
                     restricted (a comment after the first message),
                     forgedbounce (an error message from a third party),
                     bounce (the same from the recipient: the control),
                     bouncec1 (that bounce with a text holding U+009B, the
                     terminal's CSI),
                     flood (thousands of 128 KiB messages from bob pushed
                     right after binding, nothing ever answered),
                     and the PEP kinds below
  login:pep          after binding, answer pubsub <items/> queries: the one
                     for urn:xmpp:pubkey:1 with an item 'current' holding the
                     --pubkey file, from the JID asked; other nodes with an
                     empty <items/>; pings with a result
  login:pep-wrongfrom  the urn:xmpp:pubkey:1 query answered (right id) only
                     from wrong origins: mallory@xt.test, the server domain,
                     xt.test.evil's bob, no 'from' at all (= our own
                     account), each with the --spoof-pubkey file (default:
                     --pubkey); never from the JID asked
  login:pep-wrongfirst  the same wrong answers first, then the right one
  login:pep-notfound  the urn:xmpp:pubkey:1 query answered item-not-found
  login:keyrequest   once the client has sent presence, two direct key
                     requests (XEP-0189 section 7): id 'key-self' without
                     'from' (= from the client's own account, RFC 6120
                     8.1.2.1), then id 'key-bob' from bob@xt.test/phone;
                     each answer is an event "answer ID to=TO pubkey|-",
                     "answered" once both came; other IQ gets get an empty
                     result from the server
  login:smburst      Stream Management offered and enabled; once the
                     client has sent presence, 1000 messages from bob, each
                     followed by an <r/>, in one write; then the event
                     "acks H1 H2 ..." with the h of every <a/> the client
                     sent within 5 s
  badxml:KIND        hostile XML right after the stream header, then
                     features offering STARTTLS (answered with <failure/>);
                     KIND: comment pi doctype entity badutf8 deep huge
                     stanzaerror
After a TLS handshake the server reads the new stream header, offers SASL
PLAIN only and answers any <auth/> with <failure><not-authorized/>, then
closes: no client ever logs in here.
"""

import argparse
import errno
import os
import re
import socket
import ssl
import sys
import threading
import time
import warnings

HEADER = (b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
          b"xmlns:stream='http://etherx.jabber.org/streams' from='xt.test' "
          b"id='fake' version='1.0'>")
NS_TLS = b"urn:ietf:params:xml:ns:xmpp-tls"
NS_SASL = b"urn:ietf:params:xml:ns:xmpp-sasl"
FEAT_STARTTLS = (b"<stream:features><starttls xmlns='" + NS_TLS +
                 b"'><required/></starttls></stream:features>")
FEAT_PLAIN = (b"<stream:features><mechanisms xmlns='" + NS_SASL +
              b"'><mechanism>PLAIN</mechanism></mechanisms></stream:features>")
PROCEED = b"<proceed xmlns='" + NS_TLS + b"'/>"
TLS_FAILURE = b"<failure xmlns='" + NS_TLS + b"'/>"
SASL_SUCCESS = b"<success xmlns='" + NS_SASL + b"'/>"
SASL_FAILURE = (b"<failure xmlns='" + NS_SASL +
                b"'><not-authorized/></failure>")
END = b"</stream:stream>"

# What the client sends, recognised loosely: this is a test double, not a
# parser.  A stream header (any prefix), and a few complete elements.
RE_HEADER = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?stream(?:\s[^>]*)?>")
RE_STARTTLS = re.compile(rb"<starttls\b[^>]*?(?:/>|>.*?</starttls\s*>)", re.S)
RE_AUTH = re.compile(rb"<auth\b([^>]*?)(?:/>|>(.*?)</auth\s*>)", re.S)
RE_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?stream\s*>")
RE_MECH = re.compile(rb"mechanism\s*=\s*['\"]([^'\"]*)['\"]")


def hostile(kind):
    """The hostile XML of badxml:KIND."""
    msg = b"<message from='xt.test' to='alice@xt.test' type='chat'>"
    if kind == "comment":
        return b"<!-- a comment: restricted XML forbids it -->"
    if kind == "pi":
        return b"<?xt-pi a processing instruction?>"
    if kind == "doctype":
        return (b"<!DOCTYPE stream:stream [<!ENTITY xxe SYSTEM "
                b"'file:///etc/passwd'><!ENTITY a 'aaaaaaaaaa'>"
                b"<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>"
                b"<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>]>")
    if kind == "entity":
        return msg + b"<body>&xxe;&c;</body></message>"
    if kind == "badutf8":
        # overlong '/', a UTF-16 surrogate, bytes never valid in UTF-8
        return msg + b"<body>\xc0\xaf \xed\xa0\x80 \xff\xfe</body></message>"
    if kind == "deep":
        return msg + b"<a>" * 10000 + b"</a>" * 10000 + b"</message>"
    if kind == "huge":
        return msg + b"<body>" + b"A" * (2 * 1024 * 1024) + b"</body></message>"
    if kind == "stanzaerror":
        return (b"<iq type='error' id='xt-1' from='xt.test'><error type='cancel'>"
                b"<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                b"</error></iq>")
    raise ValueError("unknown badxml kind: " + kind)


LOGIN_KINDS = ("binderror", "bindforeign", "forgedbind", "restricted",
               "forgedbounce", "bounce", "pep", "pep-wrongfrom",
               "pep-wrongfirst", "pep-notfound", "flood", "bouncec1",
               "keyrequest", "smburst")
RE_IQ_ID = re.compile(rb"<iq[^>]*\bid=['\"]([^'\"]+)['\"]")
RE_PING = re.compile(rb"<iq[^>]*\bid=['\"]([^'\"]+)['\"][^>]*>\s*<ping")
FEAT_BIND = (b"<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
             b"</stream:features>")
FEAT_BIND_SM = (b"<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
                b"<sm xmlns='urn:xmpp:sm:3'/></stream:features>")
SMBURST = 1000
# An IQ, self-closing or not, with its attributes and its content.
RE_IQ = re.compile(rb"<iq\b([^>]*?)(?:/>|>(.*?)</iq\s*>)", re.S)
RE_ATTR = re.compile(rb"\b([\w:-]+)\s*=\s*(?:'([^']*)'|\"([^\"]*)\")")
RE_PRESENCE = re.compile(rb"<presence\b[^>]*?(?:/>|>.*?</presence\s*>)", re.S)
RE_NODE = re.compile(rb"<items\b[^>]*\bnode\s*=\s*['\"]([^'\"]*)['\"]")
NS_PUBSUB = b"http://jabber.org/protocol/pubsub"
NODE_PUBKEY = b"urn:xmpp:pubkey:1"
# Where wrong answers to a query for bob@xt.test's key come from (b"" = no
# 'from' at all, which means the client's own account).
WRONG_FROMS = (b"mallory@xt.test", b"xt.test", b"bob@xt.test.evil", b"")


def attrs(text):
    """The attributes in the text of a start tag, as a dict of bytes."""
    return {m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
            for m in RE_ATTR.finditer(text)}


def items_result(iq_id, frm, node, payload=None):
    """A pubsub items result for node, with one item 'current' holding
    payload (or none)."""
    out = b"<iq type='result' id='" + iq_id + b"'"
    if frm:
        out += b" from='" + frm + b"'"
    out += (b"><pubsub xmlns='" + NS_PUBSUB + b"'><items node='" + node +
            b"'>")
    if payload is not None:
        out += b"<item id='current'>" + payload + b"</item>"
    return out + b"</items></pubsub></iq>"


def bind_result(iq_id, jid, attrs=b""):
    return (b"<iq type='result' id='" + iq_id + b"'" + attrs + b"><bind "
            b"xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>" + jid +
            b"</jid></bind></iq>")


class Closed(Exception):
    """The client closed the connection."""


class Server:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.count = 0
        self.tls_local = threading.local()
        self.mode, _, self.arg = args.mode.partition(":")
        if self.mode == "badxml":
            hostile(self.arg)  # fail now on an unknown kind
        elif self.mode == "login":
            if self.arg not in LOGIN_KINDS:
                raise ValueError("unknown login kind: " + self.arg)
        elif self.mode not in ("silent", "nostarttls", "starttls-failure",
                               "inject", "tls", "directtls", "tls10",
                               "tls11", "tls12", "tls13"):
            raise ValueError("unknown mode: " + args.mode)
        self.ctx = None
        if self.mode in ("inject", "tls", "directtls", "tls10", "tls11",
                         "tls12", "tls13", "login"):
            self.ctx = self.make_context()

    def make_context(self):
        cert, key = self.args.cert, self.args.key
        if not cert:
            if not self.args.certdir:
                raise ValueError("mode %s needs --cert/--key or --certdir"
                                 % self.args.mode)
            name = "good" if self.mode == "login" else (self.arg or "good")
            cert = os.path.join(self.args.certdir, name + ".crt")
            key = os.path.join(self.args.certdir, name + ".key")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        versions = {"tls10": ssl.TLSVersion.TLSv1,
                    "tls11": ssl.TLSVersion.TLSv1_1,
                    "tls12": ssl.TLSVersion.TLSv1_2,
                    "tls13": ssl.TLSVersion.TLSv1_3}
        if self.mode in versions:
            v = versions[self.mode]
            if v < ssl.TLSVersion.TLSv1_2:
                # OpenSSL 3 refuses TLS < 1.2 at the default security level.
                ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
                ctx.options &= ~(ssl.OP_NO_TLSv1 | ssl.OP_NO_TLSv1_1)
            ctx.minimum_version = v
            ctx.maximum_version = v
        ctx.load_cert_chain(cert, key or None)
        ctx.set_alpn_protocols(["xmpp-client"])

        def sni(_sock, name, _ctx):
            # runs in the handshaking thread
            self.tls_local.sni = name
        ctx.sni_callback = sni
        return ctx

    def log(self, data):
        if self.args.log and data:
            with self.lock, open(self.args.log, "ab") as f:
                f.write(data)

    def event(self, n, what):
        if self.args.events:
            with self.lock, open(self.args.events, "a") as f:
                f.write("%s %s\n" % (n, what))

    def serve(self):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.args.port))
        ls.listen(16)
        if self.args.ready:
            tmp = self.args.ready + ".tmp"
            with open(tmp, "w") as f:
                f.write("%d\n" % ls.getsockname()[1])
            os.rename(tmp, self.args.ready)
        while True:
            sock, _ = ls.accept()
            self.count += 1
            t = threading.Thread(target=self.handle, args=(sock, self.count),
                                 daemon=True)
            t.start()

    def handle(self, sock, n):
        conn = Conn(self, sock, n)
        self.event(n, "accept")
        try:
            conn.run()
        except Closed:
            pass
        except (OSError, ValueError) as e:
            self.event(n, "error %s" % (str(e).replace("\n", " ") or
                                        type(e).__name__))
        finally:
            try:
                conn.sock.close()
            except OSError:
                pass
            self.event(n, "close")


class Conn:
    def __init__(self, server, sock, n):
        self.server = server
        self.sock = sock
        self.n = n
        self.buf = b""
        sock.settimeout(server.args.timeout)

    def event(self, what):
        self.server.event(self.n, what)

    def recv_more(self):
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            self.event("timeout")
            raise Closed()
        except ssl.SSLError as e:
            self.event("tls-error %s" % e.reason)
            raise Closed()
        if not data:
            raise Closed()
        self.server.log(data)
        self.buf += data

    def wait_for(self, *patterns):
        """Read until one of patterns matches; return (index, match) and
        consume the buffer up to the end of the match."""
        while True:
            best = None
            for i, p in enumerate(patterns):
                m = p.search(self.buf)
                if m and (best is None or m.start() < best[1].start()):
                    best = (i, m)
            if best:
                self.buf = self.buf[best[1].end():]
                return best
            self.recv_more()

    def send(self, data):
        self.sock.sendall(data)

    def drain(self):
        """Log whatever else comes, until the client closes."""
        while True:
            self.buf = b""
            self.recv_more()

    def close_stream(self, data=b""):
        """Send data and the end of the stream, half-close (plaintext only;
        a TLS client closes itself) and log what else comes."""
        self.send(data + END)
        if not isinstance(self.sock, ssl.SSLSocket):
            try:
                self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        self.drain()

    def start_tls(self):
        self.buf = b""
        ctx = self.server.ctx
        self.server.tls_local.sni = None
        # A TLS record starts with 0x16 (handshake); anything else is a
        # client speaking plaintext where TLS belongs: log it, don't eat it.
        try:
            first = self.sock.recv(1, socket.MSG_PEEK)
        except socket.timeout:
            self.event("timeout")
            raise Closed()
        if not first:
            raise Closed()
        if first != b"\x16":
            self.event("not-tls")
            self.drain()
        try:
            self.sock = ctx.wrap_socket(self.sock, server_side=True)
        except (ssl.SSLError, OSError) as e:
            reason = getattr(e, "reason", None) or str(e) or type(e).__name__
            self.event("tls-fail %s" % str(reason).replace("\n", " "))
            raise Closed()
        name = self.server.tls_local.sni
        self.event("sni %s" % (name if name else "-"))
        self.event("alpn %s" % (self.sock.selected_alpn_protocol() or "-"))
        cipher = self.sock.cipher()
        self.event("tls-ok %s %s" % (self.sock.version(),
                                     cipher[0] if cipher else "-"))

    def read_header(self):
        self.wait_for(RE_HEADER)

    def sasl_plain(self):
        """Offer PLAIN; answer <auth/> with failure, a stray <starttls/>
        with failure, and close."""
        self.send(HEADER + FEAT_PLAIN)
        i, m = self.wait_for(RE_AUTH, RE_STARTTLS, RE_END)
        if i == 0:
            mech = RE_MECH.search(m.group(1))
            self.event("auth %s" % (mech.group(1).decode("ascii", "replace")
                                    if mech else "-"))
            self.close_stream(SASL_FAILURE)
        elif i == 1:
            self.event("starttls")
            self.close_stream(TLS_FAILURE)
        else:
            self.close_stream()

    def after_tls(self):
        self.read_header()
        self.sasl_plain()

    def login(self, kind):
        """Accept any PLAIN login, offer binding, then break the rules the
        way kind says (LOGIN_KINDS)."""
        self.read_header()
        self.send(HEADER + FEAT_PLAIN)
        self.wait_for(RE_AUTH)
        self.event("auth PLAIN")
        self.send(SASL_SUCCESS)
        self.read_header()
        self.send(HEADER + (FEAT_BIND_SM if kind == "smburst" else FEAT_BIND))
        _, m = self.wait_for(RE_IQ_ID)
        iq_id = m.group(1)
        if kind == "binderror":
            self.close_stream(b"<iq type='error' id='" + iq_id + b"'><error "
                              b"type='cancel'><not-allowed xmlns='urn:ietf:"
                              b"params:xml:ns:xmpp-stanzas'/></error></iq>")
            return
        if kind == "bindforeign":
            self.close_stream(bind_result(iq_id, b"mallory@xt.test/x"))
            return
        if kind == "forgedbind":
            # an answer with the right id from someone else comes first
            self.send(bind_result(iq_id, b"alice@xt.test/evil",
                                  b" from='mallory@xt.test/evil'"))
        self.send(bind_result(iq_id, b"alice@xt.test/fake"))
        self.event("bound")
        if kind.startswith("pep"):
            self.pep(kind)
            return
        if kind == "flood":
            body = b"x" * (128 * 1024)
            try:
                for i in range(4000):
                    self.send(b"<message from='bob@xt.test/f' to='alice@"
                              b"xt.test/fake' type='chat' id='f%d'><body>" % i
                              + body + b"</body></message>")
            except OSError:
                pass
            self.event("flood ended")
            return
        if kind == "keyrequest":
            self.keyrequest()
            return
        if kind == "smburst":
            self.smburst()
            return
        if kind == "restricted":
            self.wait_for(re.compile(rb"<message"))
            self.close_stream(b"<!-- restricted -->")
            return
        _, m = self.wait_for(RE_PING)
        if kind in ("forgedbounce", "bounce", "bouncec1"):
            who = b"mallory" if kind == "forgedbounce" else b"bob"
            text = (b"<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>no"
                    b"\xc2\x9b2Jway</text>" if kind == "bouncec1" else b"")
            self.send(b"<message type='error' from='" + who + b"@xt.test'><error "
                      b"type='cancel'><service-unavailable xmlns='urn:ietf:"
                      b"params:xml:ns:xmpp-stanzas'/>" + text +
                      b"</error></message>")
        self.close_stream(b"<iq type='result' id='" + m.group(1) +
                          b"' from='xt.test'/>")

    def smburst(self):
        """Stream Management on; once the client has sent presence (every
        IQ before answered with an empty result), SMBURST messages, each
        followed by an <r/>, in one write; then every <a/> the client
        sends for 5 s, as the event "acks H1 H2 ...", and the end."""
        self.wait_for(re.compile(rb"<enable\b"))
        self.send(b"<enabled xmlns='urn:xmpp:sm:3'/>")
        while True:
            i, m = self.wait_for(RE_PRESENCE, RE_IQ_ID)
            if i == 0:
                break
            self.send(b"<iq type='result' id='" + m.group(1) + b"'/>")
        self.send(b"".join(b"<message from='bob@xt.test/b' to='alice@xt."
                           b"test/fake' type='chat' id='s%d'><body>burst %d"
                           b"</body></message><r xmlns='urn:xmpp:sm:3'/>"
                           % (i, i) for i in range(SMBURST)))
        seen, self.buf = self.buf, b""
        end = time.time() + 5
        self.sock.settimeout(0.2)
        while time.time() < end:
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if b"</stream:stream>" in seen:
                break
        acks = re.findall(rb"<a xmlns=['\"]urn:xmpp:sm:3['\"] h=['\"](\d+)", seen)
        self.event("acks " + " ".join(a.decode() for a in acks))
        self.close_stream()

    def pep(self, kind):
        """Answer pubsub item queries the way kind says (login:pep*)."""
        def payload(name):
            if not name:
                return None
            with open(name, "rb") as f:
                return f.read().strip()
        real = payload(self.server.args.pubkey)
        spoof = payload(self.server.args.spoof_pubkey) or real
        while True:
            i, m = self.wait_for(RE_IQ, RE_END)
            if i == 1:
                self.close_stream()
                return
            a = attrs(m.group(1))
            body = m.group(2) or b""
            iq_id = a.get(b"id", b"")
            to = a.get(b"to", b"")
            node = RE_NODE.search(body)
            if a.get(b"type") != b"get":
                continue
            if node is None:
                # a ping or anything else: an empty result from the server
                self.send(b"<iq type='result' id='" + iq_id +
                          b"' from='xt.test'/>")
                continue
            node = node.group(1)
            self.event("items %s %s" % (to.decode("utf-8", "replace"),
                                        node.decode("utf-8", "replace")))
            if node != NODE_PUBKEY:
                self.send(items_result(iq_id, to, node))
                continue
            if kind == "pep-notfound":
                self.send(b"<iq type='error' id='" + iq_id + b"' from='" + to +
                          b"'><error type='cancel'><item-not-found xmlns="
                          b"'urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
                          b"</iq>")
                continue
            if kind in ("pep-wrongfrom", "pep-wrongfirst"):
                for frm in WRONG_FROMS:
                    self.send(items_result(iq_id, frm, node, spoof))
                self.event("sent wrong answers")
                if kind == "pep-wrongfrom":
                    continue
            self.send(items_result(iq_id, to, node, real))

    def keyrequest(self):
        """login:keyrequest: ask the client for its key, directly."""
        asked = set()
        sent = False
        while True:
            i, m = self.wait_for(RE_IQ, RE_PRESENCE, RE_END)
            if i == 2:
                self.close_stream()
                return
            if i == 1:
                if not sent:
                    sent = True
                    self.send(b"<iq type='get' id='key-self'><pubkey xmlns='" +
                              NODE_PUBKEY + b"'/></iq>")
                    self.send(b"<iq type='get' id='key-bob' "
                              b"from='bob@xt.test/phone'><pubkey xmlns='" +
                              NODE_PUBKEY + b"'/></iq>")
                    self.event("sent key requests")
                continue
            a = attrs(m.group(1))
            body = m.group(2) or b""
            iq_id = a.get(b"id", b"")
            if a.get(b"type") == b"get":
                self.send(b"<iq type='result' id='" + iq_id +
                          b"' from='xt.test'/>")
                continue
            if iq_id not in (b"key-self", b"key-bob"):
                continue
            self.event("answer %s to=%s %s %s" % (
                iq_id.decode("utf-8", "replace"),
                a.get(b"to", b"-").decode("utf-8", "replace"),
                a.get(b"type", b"-").decode("utf-8", "replace"),
                "pubkey" if b"<pubkey" in body else "-"))
            asked.add(iq_id)
            if len(asked) == 2:
                self.event("answered")

    def starttls(self, answer, header=HEADER):
        """Offer STARTTLS; on <starttls/> send answer and return True.  An
        <auth/> or the end of the stream instead closes the stream."""
        self.send(header + FEAT_STARTTLS)
        i, m = self.wait_for(RE_STARTTLS, RE_AUTH, RE_END)
        if i == 0:
            self.event("starttls")
            self.send(answer)
            return True
        if i == 1:
            self.event("auth (before tls)")
            self.close_stream(SASL_FAILURE)
        else:
            self.close_stream()
        return False

    def run(self):
        mode = self.server.mode
        if mode == "silent":
            self.drain()
        if mode == "directtls":
            self.start_tls()
            self.after_tls()
            return
        self.read_header()
        if mode == "nostarttls":
            self.sasl_plain()
        elif mode == "starttls-failure":
            if self.starttls(TLS_FAILURE + END):
                self.sock.shutdown(socket.SHUT_WR)
                self.drain()
        elif mode == "inject":
            # one send: the injected <success/> sits right behind <proceed/>
            if self.starttls(PROCEED + SASL_SUCCESS):
                self.start_tls()
                self.after_tls()
        elif mode == "login":
            if self.starttls(PROCEED):
                self.start_tls()
                self.login(self.server.arg)
        elif mode in ("tls", "tls10", "tls11", "tls12", "tls13"):
            if self.starttls(PROCEED):
                self.start_tls()
                self.after_tls()
        elif mode == "badxml":
            self.send(HEADER)
            self.send(hostile(self.server.arg))
            self.event("sent badxml:%s" % self.server.arg)
            if self.starttls(TLS_FAILURE + END, header=b""):
                self.sock.shutdown(socket.SHUT_WR)
                self.drain()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--mode", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--certdir")
    p.add_argument("--log")
    p.add_argument("--events")
    p.add_argument("--ready")
    p.add_argument("--timeout", type=float, default=300,
                   help="seconds a connection may stay idle")
    p.add_argument("--pubkey", help="login:pep*: the <pubkey/> served")
    p.add_argument("--spoof-pubkey",
                   help="login:pep-wrong*: the <pubkey/> in wrong answers")
    args = p.parse_args()
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        server = Server(args)
    except (ValueError, OSError, ssl.SSLError) as e:
        print("fakeserver: %s" % e, file=sys.stderr)
        return 2
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    except OSError as e:
        print("fakeserver: 127.0.0.1:%d: %s" % (args.port, e.strerror),
              file=sys.stderr)
        return 3 if e.errno == errno.EADDRINUSE else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
