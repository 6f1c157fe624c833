#!/usr/bin/python3
"""ibb.py: an XEP-0047 In-Band Bytestreams transfer with slixmpp.

    ibb.py recv --jid J/RES --password-file F --server HOST:PORT --cafile CA
    ibb.py send --jid J --password-file F --server HOST:PORT --cafile CA \\
        --to FULLJID [--block BYTES] [--window N] [--timeout S] < data

recv logs in (the resource of --jid is the one it binds, so that a sender
can address it), prints "ready" on stderr, accepts one IBB stream from
anyone, writes its bytes to stdout and exits 0 when the stream is closed
(1 if the connection ends first).

send reads stdin and sends it to FULLJID as one IBB stream of <iq/> data
stanzas, BYTES raw bytes each (default 4096; the last one shorter), with at
most N data IQs unacknowledged (default 1), then closes the stream and
exits 0 once the close is acknowledged. stdin is read only as the window
allows, so memory stays bounded whatever the size. Any error or timeout
reply ends it with status 1. On stderr it prints one line:
    ibb: BYTES bytes in IQS iqs, login L s, stream S s
(login: from the start of the process until the session is up; stream:
from the open until the close is acknowledged).

Both use slixmpp's xep_0047 plugin. Its IBBytestream.send() takes the next
seq and hands the IQ to the stream before its first await, so N send()
tasks started in order go out in seq order and are acknowledged
independently: the window is a semaphore around them.

TLS (STARTTLS) is verified against --cafile for the JID's domain.
"""
import argparse
import asyncio
import logging
import os
import ssl
import stat
import sys
import time

# Keep slixmpp's import-time notice (the pure-Python stringprep) off stderr.
logging.basicConfig(level=logging.ERROR)
import slixmpp  # noqa: E402

T0 = time.monotonic()


def server(s):
    host, _, port = s.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError("HOST:PORT expected: %r" % s)
    return host, int(port)


def positive(s):
    n = int(s)
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1: %r" % s)
    return n


class Client(slixmpp.ClientXMPP):
    def __init__(self, args):
        with open(args.password_file) as f:
            pw = f.read().strip()
        super().__init__(args.jid, pw)
        self.args = args
        self.status = 1
        self.ssl_context = ssl.create_default_context(cafile=args.cafile)
        self.register_plugin("xep_0030")
        # The XEP caps block-size at 65535 (an xs:unsignedShort).
        self.register_plugin("xep_0047", {"auto_accept": True,
                                          "max_block_size": 65535})
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("failed_auth", self.fail)
        self.add_event_handler("connection_failed", self.fail)

    def fail(self, what=None):
        print("ibb: %s: %s" % (self.args.mode, what or "failed"),
              file=sys.stderr)
        self.status = 1
        self.disconnect(wait=0)

    def run(self):
        self.connect(address=self.args.server)
        self.loop.run_until_complete(self.disconnected)
        return self.status


class Recv(Client):
    def __init__(self, args):
        super().__init__(args)
        self.out = sys.stdout.buffer
        self.stream = None
        self.add_event_handler("ibb_stream_start", self.opened)
        self.add_event_handler("ibb_stream_data", self.data)
        self.add_event_handler("ibb_stream_end", self.closed)

    def start(self, _):
        print("ready", file=sys.stderr, flush=True)

    def opened(self, stream):
        if self.stream is None:
            self.stream = stream

    def data(self, stream):
        # Called from the plugin for each data IQ, before it replies.
        if stream is self.stream:
            while not stream.recv_queue.empty():
                self.out.write(stream.recv_queue.get_nowait())

    def closed(self, stream):
        if stream is not self.stream:
            return
        self.out.flush()
        self.status = 0
        # The plugin has queued the reply to <close/>: disconnect() sends
        # what is queued before the closing </stream:stream>.
        self.disconnect()


class Send(Client):
    async def blocks(self):
        """Yield stdin in blocks of --block bytes (the last may be short)."""
        n = self.args.block
        fd = sys.stdin.fileno()
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
            # A file (or /dev/null, a terminal): plain reads; a file's
            # never wait, and epoll would refuse it.
            f = sys.stdin.buffer
            while True:
                b = f.read(n)
                if not b:
                    return
                yield b
        # A pipe or socket: read it without blocking the loop.
        reader = asyncio.StreamReader(limit=max(n, 65536))
        await self.loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while True:
            try:
                b = await reader.readexactly(n)
            except asyncio.IncompleteReadError as e:
                if e.partial:
                    yield e.partial
                return
            yield b

    async def start(self, _):
        a = self.args
        t_login = time.monotonic() - T0
        total = iqs = 0
        window = asyncio.Semaphore(a.window)
        errors = []

        def acked(task):
            window.release()
            if not task.cancelled() and task.exception() is not None:
                errors.append(task.exception())

        try:
            stream = await self["xep_0047"].open_stream(
                a.to, block_size=a.block, timeout=a.timeout)
            t_open = time.monotonic()
            async for b in self.blocks():
                await window.acquire()
                if errors:
                    raise errors[0]
                t = asyncio.ensure_future(stream.send(b, timeout=a.timeout))
                t.add_done_callback(acked)
                total += len(b)
                iqs += 1
            for _ in range(a.window):
                await window.acquire()
            if errors:
                raise errors[0]
            await stream.close(timeout=a.timeout)
            t_end = time.monotonic()
            print("ibb: %d bytes in %d iqs, login %.3f s, stream %.3f s"
                  % (total, iqs, t_login, t_end - t_open), file=sys.stderr)
            self.status = 0
        except Exception as e:  # IqError, IqTimeout, OSError
            err = e
            if isinstance(e, slixmpp.exceptions.IqTimeout):
                err = "no reply within %d s" % a.timeout
            elif isinstance(e, slixmpp.exceptions.IqError):
                err = "error reply: %s" % e.iq["error"]["condition"]
            print("ibb: send: %s after %d bytes" % (err, total),
                  file=sys.stderr)
            self.status = 1
        self.disconnect()


def main():
    p = argparse.ArgumentParser(description="XEP-0047 IBB transfer")
    p.add_argument("mode", choices=("send", "recv"))
    p.add_argument("--jid", required=True)
    p.add_argument("--password-file", required=True)
    p.add_argument("--server", required=True, type=server)
    p.add_argument("--cafile", required=True)
    p.add_argument("--to")
    p.add_argument("--block", type=positive, default=4096)
    p.add_argument("--window", type=positive, default=1)
    p.add_argument("--timeout", type=positive, default=600,
                   help="seconds to wait for each reply (default 600)")
    args = p.parse_args()
    if args.mode == "send":
        if not args.to or "/" not in args.to:
            p.error("send needs --to with a full JID (user@domain/resource)")
        if args.block > 65535:
            p.error("--block: XEP-0047 allows at most 65535")
        return Send(args).run()
    return Recv(args).run()


sys.exit(main())
