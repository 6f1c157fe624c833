#!/usr/bin/python3
"""slixmpp_send.py JID PWFILE HOST PORT CAFILE TO < lines

A single-connection slixmpp sender for the line-mode benchmark: log in,
send one message per stdin line, then a ping round trip, then leave.
"""
import asyncio
import ssl
import sys

import slixmpp

jid, pwfile, host, port, cafile, to = sys.argv[1:7]
lines = [l.rstrip("\n") for l in sys.stdin if l.strip()]


class Sender(slixmpp.ClientXMPP):
    def __init__(self):
        super().__init__(jid, open(pwfile).read().strip())
        self.ssl_context = ssl.create_default_context(cafile=cafile)
        self.register_plugin("xep_0199")
        self.add_event_handler("session_start", self.start)

    async def start(self, _):
        for line in lines:
            self.send_message(mto=to, mbody=line, mtype="chat")
        await self.plugin["xep_0199"].ping(jid=self.boundjid.domain)
        self.disconnect()


x = Sender()
x.connect(address=(host, int(port)))
x.loop.run_until_complete(x.disconnected)
