#!/usr/bin/python3
"""muc_occupant.py: an independent chat room occupant, for the MUC tests.

    muc_occupant.py --jid BAREJID --password-file F --server HOST:PORT
                    --cafile CA --room ROOM@SERVICE --nick NICK
                    [--room-password P] [--members-only] [--moderated]
                    [--persistent] [--ban BAREJID]... [--timeout S]

Joins ROOM (XEP-0045) as NICK, written from the XEP only on slixmpp.  A
room that the join creates is configured at once (an owner's submitted
muc#roomconfig form; Prosody keeps a new room locked until then) with
the password, members-only, moderated and persistent as given; --ban
makes each JID an outcast.  Then "ready" goes to stderr, and one line per
event to stdout, flushed at once:

    join NICK             an occupant came in (ourselves excluded)
    leave NICK            an occupant left
    message NICK: BODY    a groupchat message (history excluded)

It runs until SIGTERM or --timeout seconds (then status 0).  Any failure
before "ready": status 1 and one line on stderr.
"""
import argparse
import asyncio
import logging
import os
import signal
import ssl
import sys
import xml.etree.ElementTree as ET

# Before slixmpp is imported: it logs at import time.
logging.basicConfig(level=logging.DEBUG if os.environ.get("MUC_OCCUPANT_DEBUG")
                    else logging.CRITICAL + 1, format="%(levelname)s %(message)s")

import slixmpp  # noqa: E402
from slixmpp.exceptions import IqError, IqTimeout  # noqa: E402

MUC = "http://jabber.org/protocol/muc"
USER = MUC + "#user"
OWNER = MUC + "#owner"
ADMIN = MUC + "#admin"
DATA = "jabber:x:data"
DELAY = "urn:xmpp:delay"


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Occupant(slixmpp.ClientXMPP):
    def __init__(self, a, password):
        super().__init__(a.jid, password)
        self.a = a
        self.ssl_context = ssl.create_default_context(cafile=a.cafile)
        self.joined = self.loop.create_future()  # our own presence
        self.done = self.loop.create_future()    # the exit status
        self.ready = False
        self.add_event_handler("session_start", self.on_session)
        self.add_event_handler("presence", self.on_presence)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("connection_failed",
                               lambda e: self.fail("cannot connect: %s" % e))
        self.add_event_handler("failed_all_auth", lambda _: self.fail("login failed"))
        self.add_event_handler("disconnected", lambda _: self.fail("disconnected"))

    def fail(self, msg):
        if not self.done.done():
            print("muc_occupant: %s" % msg, file=sys.stderr, flush=True)
            self.done.set_result(1)

    def from_room(self, stanza):
        return stanza["from"].bare == self.a.room

    def on_presence(self, p):
        if not self.from_room(p):
            return
        x = p.xml.find("{%s}x" % USER)
        codes = set()
        if x is not None:
            codes = {s.get("code") for s in x.findall("{%s}status" % USER)}
        nick = p["from"].resource
        if p["type"] == "error":
            if not self.joined.done():
                self.joined.set_exception(RuntimeError(
                    "join refused: %s" % p["error"]["condition"]))
            return
        if "110" in codes:
            if not self.joined.done():
                self.joined.set_result("201" in codes)
            return
        if not self.ready:
            return
        say(("leave " if p["type"] == "unavailable" else "join ") + nick)

    def on_message(self, m):
        if (not self.ready or not self.from_room(m) or m["type"] != "groupchat"
                or m.xml.find("{%s}delay" % DELAY) is not None or not m["body"]):
            return
        say("message %s: %s" % (m["from"].resource, m["body"]))

    async def query(self, ns, child):
        iq = self.make_iq_set(ito=self.a.room)
        q = ET.Element("{%s}query" % ns)
        q.append(child)
        iq.append(q)
        await iq.send(timeout=10)

    async def configure(self):
        x = ET.Element("{%s}x" % DATA, type="submit")

        def field(var, value):
            f = ET.SubElement(x, "{%s}field" % DATA, var=var)
            ET.SubElement(f, "{%s}value" % DATA).text = value
        field("FORM_TYPE", MUC + "#roomconfig")
        field("muc#roomconfig_persistentroom", "1" if self.a.persistent else "0")
        if self.a.room_password:
            field("muc#roomconfig_passwordprotectedroom", "1")
            field("muc#roomconfig_roomsecret", self.a.room_password)
        if self.a.members_only:
            field("muc#roomconfig_membersonly", "1")
        if self.a.moderated:
            field("muc#roomconfig_moderatedroom", "1")
        await self.query(OWNER, x)

    async def run(self):
        pres = ET.Element("{jabber:client}presence",
                          to="%s/%s" % (self.a.room, self.a.nick))
        x = ET.SubElement(pres, "{%s}x" % MUC)
        ET.SubElement(x, "{%s}history" % MUC, maxchars="0")
        if self.a.room_password:
            ET.SubElement(x, "{%s}password" % MUC).text = self.a.room_password
        self.send_raw(ET.tostring(pres, encoding="unicode"))
        created = await asyncio.wait_for(self.joined, 15)
        if created:
            await self.configure()
        for jid in self.a.ban:
            await self.query(ADMIN, ET.Element("{%s}item" % ADMIN,
                                               affiliation="outcast", jid=jid))
        self.ready = True
        print("ready", file=sys.stderr, flush=True)

    def on_session(self, _):
        async def go():
            try:
                await self.run()
            except (IqError, IqTimeout, RuntimeError, asyncio.TimeoutError) as e:
                self.fail("%s: %s" % (self.a.room, getattr(e, "iq", None) and
                                      e.iq["error"]["condition"] or e or "timeout"))
        asyncio.ensure_future(go())


def main():
    p = argparse.ArgumentParser(description="A chat room occupant.")
    for opt in ("--jid", "--password-file", "--server", "--cafile", "--room", "--nick"):
        p.add_argument(opt, required=True)
    p.add_argument("--room-password")
    p.add_argument("--members-only", action="store_true")
    p.add_argument("--moderated", action="store_true")
    p.add_argument("--persistent", action="store_true")
    p.add_argument("--ban", action="append", default=[])
    p.add_argument("--timeout", type=float, default=60)
    a = p.parse_args()
    with open(a.password_file) as f:
        password = f.readline().rstrip("\r\n")
    host, _, port = a.server.rpartition(":")
    o = Occupant(a, password)
    o.loop.add_signal_handler(signal.SIGTERM, lambda: o.done.done() or o.done.set_result(0))
    o.loop.call_later(a.timeout, lambda: o.done.done() or o.done.set_result(0))
    o.connect(address=(host, int(port)))
    status = o.loop.run_until_complete(o.done)
    o.disconnect(wait=1)
    try:
        o.loop.run_until_complete(asyncio.wait_for(o.disconnected, 3))
    except Exception:
        pass
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    main()
