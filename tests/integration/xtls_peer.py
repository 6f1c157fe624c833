#!/usr/bin/python3
"""xtls_peer.py: an independent XTLS peer, for the interoperation tests.

    xtls_peer.py --jid BAREJID --password-file F --server HOST:PORT --cafile CA
                 --resource R --key KEY.pem --peer-key PEER.pub
                 (--listen | --connect PEERFULLJID [--race])
                 [--window W] [--block BYTES]

An end-to-end TLS tunnel between two XMPP full JIDs (proto-XEP XTLS,
namespace urn:xmpp:tmp:xtls), written from the protocol description only,
on slixmpp and pyOpenSSL memory BIOs.  stdin goes into the tunnel, what the
peer sends comes out on stdout.  Exit status 0 only when both directions
ended with a TLS close_notify and <close/>/<closed/> was exchanged;
otherwise 1 with one line on stderr.  "ready" goes to stderr once online.

The initiator (--connect) is the TLS client, the responder (--listen, or the
loser of a simultaneous start) the TLS server.  Both present a throw-away
self-signed certificate made from --key and accept the peer only if its
certificate holds the key of --peer-key (an XEP-0189 <pubkey/>).
XTLS_PEER_DEBUG=1 in the environment logs the XML streams on stderr.
"""
import argparse
import asyncio
import base64
import binascii
import datetime
import importlib
import logging
import os
import ssl
import sys
import xml.etree.ElementTree as ET

# Before slixmpp is imported: it logs a warning at import time, and stderr
# must carry nothing but "ready" and at most one error line.
logging.basicConfig(level=logging.DEBUG if os.environ.get("XTLS_PEER_DEBUG")
                    else logging.CRITICAL + 1, format="%(levelname)s %(message)s")

import slixmpp  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402
from OpenSSL import SSL, crypto  # noqa: E402
from slixmpp.exceptions import IqError, IqTimeout  # noqa: E402
from slixmpp.stanza import Iq  # noqa: E402
from slixmpp.xmlstream import ElementBase, register_stanza_plugin  # noqa: E402
from slixmpp.xmlstream.handler import Callback  # noqa: E402
from slixmpp.xmlstream.matcher import StanzaPath  # noqa: E402

NS = "urn:xmpp:tmp:xtls"

# slixmpp escapes text one character at a time, which dominates the time to
# send 64 KiB of base64: the same escapes with str.replace.
_tostring = importlib.import_module("slixmpp.xmlstream.tostring")
_slow_escape = _tostring.escape


def _escape(text, use_cdata=False):
    if use_cdata:
        return _slow_escape(text, use_cdata)
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("'", "&apos;").replace('"', "&quot;"))


_tostring.escape = _escape
SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _element(tag, attrs=()):
    """A stanza plugin class for <TAG xmlns='urn:xmpp:tmp:xtls'/>, as iq['xtls_TAG']."""
    return type("Xtls" + tag.title(), (ElementBase,), {
        "name": tag, "namespace": NS, "plugin_attrib": "xtls_" + tag,
        "interfaces": set(attrs)})


for _tag, _attrs in (("start", ()), ("proceed", ()), ("data", ("method",)),
                     ("close", ()), ("closed", ())):
    register_stanza_plugin(Iq, _element(_tag, _attrs))


def _service_unavailable(iq):
    # slixmpp answers unhandled requests with feature-not-implemented; the
    # profile says service-unavailable.
    if iq["type"] in ("get", "set"):
        reply_error(iq, "service-unavailable")


Iq.unhandled = _service_unavailable


def reply_error(iq, condition, etype="cancel"):
    reply = iq.reply()
    reply["error"]["type"] = etype
    reply["error"]["condition"] = condition
    reply.send()


def error_of(fut):
    """The stanza error condition (or 'timeout') a finished IQ future holds, else None."""
    exc = fut.exception()
    if isinstance(exc, IqError):
        return exc.iq["error"]["condition"] or "error"
    if isinstance(exc, IqTimeout):
        return "timeout"
    return None if exc is None else str(exc)


class Peer(slixmpp.ClientXMPP):
    def __init__(self, a, password, key, peer_spki):
        super().__init__("%s/%s" % (a.jid, a.resource), password)
        self.a = a
        self.ssl_context = ssl.create_default_context(cafile=a.cafile)
        self.key = key
        self.peer_spki = peer_spki
        self.readsize = plaintext_size(a.block)
        self.register_plugin("xep_0030")  # disco#info, with our feature
        self.register_plugin("xep_0199")  # answers pings
        self["xep_0030"].add_feature(NS)
        for tag, handler in (("start", self.on_start), ("data", self.on_data),
                             ("close", self.on_close)):
            self.register_handler(Callback("xtls " + tag, StanzaPath(
                "iq@type=set/xtls_" + tag), self.guarded(handler)))
        self.add_event_handler("session_start", self.on_session)
        self.add_event_handler("connection_failed",
                               lambda e: self.fail("cannot connect: %s" % e))
        self.add_event_handler("ssl_invalid_chain",
                               lambda e: self.fail("server certificate: %s" % e))
        self.add_event_handler("failed_all_auth", lambda _: self.fail("login failed"))
        self.add_event_handler("disconnected",
                               lambda _: self.fail("disconnected by the server", False))
        self.done = self.loop.create_future()  # the exit status
        self.status = None          # set once we are ending
        # The tunnel.
        self.peer = None            # the other end's full JID
        self.tls = None             # SSL.Connection on memory BIOs
        self.initiator = False      # TLS client, sends <close/> at the end
        self.start_sent = False
        self.start_pending = False  # our <start/> has no answer yet
        self.established = False    # handshake done and peer key checked
        self.outbuf = bytearray()   # TLS bytes not yet in a data IQ
        self.inflight = 0           # our data IQs not yet acknowledged
        self.room = asyncio.Event()  # set when outbuf or inflight shrank
        self.method_sent = self.method_seen = False
        self.eof_sent = False       # our close_notify is in outbuf
        self.eof_seen = False       # the peer's close_notify came
        self.closing = False        # our <close/> is out
        self.key_mismatch = False   # the verify callback refused the peer

    def guarded(self, handler):
        def run(iq):
            try:
                handler(iq)
            except Exception as e:  # a bug here must not leave us hanging
                self.fail("internal error: %r" % e)
        return run

    # ------------------------------------------------------------ ending

    def finish(self, status):
        if self.status is None:
            self.status = status
            self.done.set_result(status)

    def fail(self, msg, tell_peer=True):
        """Print MSG and exit 1; when TELL_PEER, first send what TLS still
        has (an alert, say) and a <close/>, waiting a little for answers."""
        if self.status is not None:
            return
        self.status = 1
        print("xtls_peer: %s" % msg, file=sys.stderr, flush=True)
        futs = []
        if tell_peer and self.tls is not None:
            try:
                self.pull()
            except SSL.Error:
                pass
            while self.outbuf:  # past the window: these are the last ones
                futs.append(self.send_data())
            iq = self.make_iq_set(ito=self.peer)
            iq.enable("xtls_close")
            futs.append(iq.send(timeout=5))

        async def linger():
            if futs:
                await asyncio.wait(futs, timeout=5)
                for f in futs:
                    if f.done() and not f.cancelled():
                        f.exception()  # retrieved: no "never retrieved" noise
            self.done.set_result(1)
        asyncio.ensure_future(linger())

    # ------------------------------------------------------------ starting

    def on_session(self, _):
        if self.a.listen:
            self.send_presence()
        print("ready", file=sys.stderr, flush=True)
        if self.a.connect and not self.a.race:
            self.send_start()

    def send_start(self):
        iq = self.make_iq_set(ito=self.a.connect)
        iq.enable("xtls_start")
        self.start_sent = self.start_pending = True
        iq.send(timeout=60).add_done_callback(self.on_start_answer)

    def on_start_answer(self, fut):
        self.start_pending = False
        err = error_of(fut)
        if self.status is not None:
            return
        if err == "conflict" and self.tls is not None and not self.initiator:
            return  # we lost a simultaneous start and are the responder already
        if err:
            return self.fail("start refused: %s" % err, False)
        if self.tls is not None or fut.result().xml.find("{%s}proceed" % NS) is None:
            return self.fail("start answered without <proceed/>", False)
        self.open_tunnel(self.a.connect, initiator=True)
        self.advance()  # the ClientHello

    def on_start(self, iq):
        # A <start/> may carry an XEP-0250 <offer/>: it is ignored.
        frm = iq["from"].full
        if self.status is not None or self.tls is not None:
            return reply_error(iq, "not-acceptable", "modify")
        if self.a.connect:
            if frm != self.a.connect:
                return reply_error(iq, "not-acceptable", "modify")
            if not self.start_sent:  # --race: our <start/> goes out first
                self.send_start()
            if self.start_pending and self.boundjid.full.encode() < frm.encode():
                # Simultaneous start: the request from the full JID that
                # sorts first (i;octet) wins, and that is ours.
                return reply_error(iq, "conflict")
            # Theirs wins (or ours was answered already): we respond, and
            # our own <start/> will get a conflict.
        reply = iq.reply()
        reply.enable("xtls_proceed")
        reply.send()
        self.open_tunnel(frm, initiator=False)

    def open_tunnel(self, peer, initiator):
        self.peer, self.initiator = peer, initiator
        ctx = SSL.Context(SSL.TLS_METHOD)
        ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
        ctx.use_privatekey(crypto.PKey.from_cryptography_key(self.key))
        ctx.use_certificate(crypto.X509.from_cryptography(
            self_signed(self.key, self.boundjid.bare)))
        ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, self.verify)
        self.tls = SSL.Connection(ctx, None)  # None: memory BIOs
        if initiator:
            self.tls.set_connect_state()
        else:
            self.tls.set_accept_state()

    def verify(self, conn, cert, errno, depth, ok):
        # No chain to check (self-signed): the leaf must hold the expected
        # key, else the handshake fails with an alert to the peer.
        if depth > 0:
            return True
        if cert.to_cryptography().public_key().public_bytes(*SPKI) == self.peer_spki:
            return True
        self.key_mismatch = True
        return False

    # ------------------------------------------------------------ TLS <-> IQs

    def advance(self):
        """Let TLS work on what it was fed: handshake, then plaintext to
        stdout.  Sends what TLS produced.  False once the tunnel failed."""
        try:
            if not self.established:
                try:
                    self.tls.do_handshake()
                except SSL.WantReadError:
                    return True
                self.established = True
                cert = self.tls.get_peer_certificate()
                if cert is None or cert.to_cryptography().public_key().public_bytes(
                        *SPKI) != self.peer_spki:
                    self.fail("the peer's key is not the one of --peer-key")
                    return False
                asyncio.ensure_future(self.pump_stdin())
            while not self.eof_seen:
                try:
                    data = self.tls.recv(65536)
                except SSL.WantReadError:
                    break
                except SSL.ZeroReturnError:  # the peer's close_notify
                    self.eof_seen = True
                    break
                sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return True
        except SSL.Error as e:
            if self.key_mismatch:
                self.fail("the peer's key is not the one of --peer-key")
            else:
                self.fail("TLS: %s" % tls_error(e))
            return False
        except OSError as e:
            self.fail("stdout: %s" % e)
            return False
        finally:
            if self.status is None:
                self.pull()
                self.flush()

    def pull(self):
        """Move what TLS wrote into its memory BIO to outbuf."""
        while True:
            try:
                self.outbuf += self.tls.bio_read(65536)
            except SSL.WantReadError:
                return

    def flush(self):
        while self.outbuf and self.inflight < self.a.window:
            self.send_data().add_done_callback(self.on_data_answer)

    def send_data(self):
        chunk = bytes(self.outbuf[:self.a.block])
        del self.outbuf[:self.a.block]
        iq = self.make_iq_set(ito=self.peer)
        iq.enable("xtls_data")
        if not self.method_sent:  # required on the first one, optional after
            iq["xtls_data"]["method"] = "x509"
            self.method_sent = True
        iq["xtls_data"].xml.text = base64.b64encode(chunk).decode("ascii")
        self.inflight += 1
        return iq.send(timeout=60)

    def on_data_answer(self, fut):
        self.inflight -= 1
        err = error_of(fut)
        if self.status is not None:
            return
        if err:
            return self.fail("data refused by the peer: %s" % err, False)
        self.flush()
        self.room.set()
        self.maybe_close()

    async def pump_stdin(self):
        """stdin into TLS, read only when the window has room; at EOF our
        close_notify (TLS half-close: we keep reading afterwards)."""
        loop = asyncio.get_running_loop()
        while self.status is None:
            while self.outbuf or self.inflight >= self.a.window:
                self.room.clear()
                await self.room.wait()
                if self.status is not None:
                    return
            # A blocking read in a thread: stdin may be a file, a pipe or a tty.
            try:
                chunk = await loop.run_in_executor(None, os.read, 0, self.readsize)
            except OSError as e:
                return self.fail("stdin: %s" % e)
            if self.status is not None:
                return
            try:
                if not chunk:
                    # SSL_shutdown sends close_notify and says 0 (False) while
                    # the peer's has not come; reading still works after it.
                    self.tls.shutdown()
                    self.eof_sent = True
                view = memoryview(chunk)
                while view:
                    view = view[self.tls.send(view):]
            except SSL.Error as e:
                return self.fail("TLS: %s" % tls_error(e))
            self.pull()
            self.flush()
            if self.eof_sent:
                return self.maybe_close()

    def on_data(self, iq):
        frm = iq["from"].full
        if self.tls is None or frm != self.peer:  # not our tunnel's peer
            return reply_error(iq, "item-not-found")
        if self.status is not None:
            return reply_error(iq, "not-acceptable", "modify")
        method = iq["xtls_data"]["method"]
        if method not in ("", "x509") or not (method or self.method_seen):
            reply_error(iq, "bad-request", "modify")
            return self.fail("the peer's data has method '%s', not 'x509'" % method
                             if method else "the peer's first data has no method='x509'")
        self.method_seen = True
        try:
            raw = base64.b64decode("".join((iq["xtls_data"].xml.text or "").split()),
                                   validate=True)
        except binascii.Error:
            reply_error(iq, "bad-request", "modify")
            return self.fail("bad base64 from the peer")
        self.tls.bio_write(raw)
        # The answer goes once the plaintext is on stdout; after a failure,
        # fail() has already sent the alert, so the peer sees that first.
        if self.advance():
            iq.reply().send()
            self.maybe_close()
        else:
            reply_error(iq, "not-acceptable", "modify")

    # ------------------------------------------------------------ closing

    def finished_both_ways(self):
        return (self.eof_sent and self.eof_seen and not self.outbuf
                and self.inflight == 0)

    def maybe_close(self):
        """The initiator sends <close/> once both close_notify went through
        and all its data IQs are acknowledged."""
        if not self.initiator or self.closing or not self.finished_both_ways():
            return
        self.closing = True
        iq = self.make_iq_set(ito=self.peer)
        iq.enable("xtls_close")
        iq.send(timeout=60).add_done_callback(self.on_closed)

    def on_closed(self, fut):
        err = error_of(fut)
        if self.status is not None:
            return
        if err:
            return self.fail("close refused by the peer: %s" % err, False)
        if fut.result().xml.find("{%s}closed" % NS) is None:
            return self.fail("close answered without <closed/>", False)
        self.finish(0)

    def on_close(self, iq):
        if self.tls is None or iq["from"].full != self.peer:
            return reply_error(iq, "item-not-found")
        reply = iq.reply()
        reply.enable("xtls_closed")
        reply.send()
        # Judge only once the answers that came before the <close/> were
        # seen: an IQ future runs its callbacks from the loop, later than
        # this handler, which runs as the stanza is parsed.
        self.loop.call_soon(self.closed_by_peer)

    def closed_by_peer(self):
        if self.finished_both_ways():
            self.finish(0)
        else:
            self.fail("the peer closed the tunnel before the end", False)


def plaintext_size(block):
    """How much stdin to read at a time so that the TLS records it makes fit
    one data IQ (records hold at most 16384 bytes plus up to 29 of overhead
    with the usual ciphers).  Only for efficiency: any chunking works."""
    records = -(-block // 16384)
    return max(1, block - 32 * records)


def self_signed(key, bare):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, bare)])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))


def tls_error(e):
    """OpenSSL's reason strings from an SSL.Error."""
    reasons = [r[2] for r in e.args[0] if len(r) == 3] if e.args and isinstance(
        e.args[0], list) else []
    return ", ".join(reasons) or str(e) or type(e).__name__


def read_peer_key(path):
    """The DER SubjectPublicKeyInfo in the <key/> of an XEP-0189 <pubkey/>."""
    key = ET.parse(path).getroot().find("{urn:xmpp:pubkey:1}key")
    if key is None:
        raise ValueError("no <key/> in it")
    der = base64.b64decode("".join((key.text or "").split()), validate=True)
    serialization.load_der_public_key(der)  # a key indeed
    return der


def main():
    p = argparse.ArgumentParser(description="An independent XTLS peer.")
    p.add_argument("--jid", required=True)
    p.add_argument("--password-file", required=True)
    p.add_argument("--server", required=True, help="HOST:PORT")
    p.add_argument("--cafile", required=True)
    p.add_argument("--resource", required=True)
    p.add_argument("--key", required=True, help="our private key (PEM)")
    p.add_argument("--peer-key", required=True, help="the peer's XEP-0189 <pubkey/>")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--listen", action="store_true")
    mode.add_argument("--connect", metavar="PEERFULLJID")
    p.add_argument("--window", type=int, default=16)
    p.add_argument("--block", type=int, default=4096)
    p.add_argument("--race", action="store_true",
                   help="with --connect: send <start/> only after the peer's came")
    a = p.parse_args()
    if not 1 <= a.window <= 1024 or not 1 <= a.block <= 65536:
        p.error("--window must be 1..1024 and --block 1..65536")
    if a.race and not a.connect:
        p.error("--race goes with --connect")
    what = "--password-file"
    try:
        with open(a.password_file) as f:
            password = f.readline().rstrip("\r\n")
        what = "--key"
        with open(a.key, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), None)
        what = "--peer-key"
        peer_spki = read_peer_key(a.peer_key)
        what = "--connect"
        if a.connect:
            a.connect = slixmpp.JID(a.connect).full
        what = "--server"
        host, _, port = a.server.rpartition(":")
        port = int(port)
    except (OSError, ValueError, TypeError, ET.ParseError, binascii.Error,
            slixmpp.InvalidJID) as e:
        print("xtls_peer: %s: %s" % (what, e), file=sys.stderr)
        sys.exit(1)

    peer = Peer(a, password, key, peer_spki)
    peer.connect(address=(host, port))
    status = peer.loop.run_until_complete(peer.done)
    sys.stdout.flush()
    peer.disconnect(wait=2)  # sends what is queued (a last answer) first
    try:
        peer.loop.run_until_complete(asyncio.wait_for(peer.disconnected, 5))
    except Exception:
        pass
    # os._exit: a thread may still block in read(0), and plain exit waits for it.
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    main()
