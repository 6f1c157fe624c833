#!/usr/bin/python3
"""slot.py JID PWFILE HOST PORT CAFILE SERVICE NAME SIZE TYPE OUT

Ask SERVICE for an HTTP File Upload slot (XEP-0363) over slixmpp, as the
peer of xmpp-send --file in bench/upload.sh: writes OUT (mode 0600), the
PUT URL on the first line, the GET URL on the second, then the slot's
headers as curl -H @FILE reads them. The request is built by hand:
slixmpp's xep_0363 plugin needs aiohttp, which the benchmark does not.
"""
import os
import ssl
import sys
from xml.etree import ElementTree as ET

import slixmpp

NS = "{urn:xmpp:http:upload:0}"

jid, pwfile, host, port, cafile, service, name, size, ctype, out = sys.argv[1:11]


class Asker(slixmpp.ClientXMPP):
    def __init__(self):
        super().__init__(jid, open(pwfile).read().strip())
        self.ssl_context = ssl.create_default_context(cafile=cafile)
        self.add_event_handler("session_start", self.start)
        self.ok = False

    async def start(self, _):
        try:
            iq = self.make_iq_get(ito=service)
            iq.append(ET.Element(NS + "request", {
                "filename": name, "size": size, "content-type": ctype}))
            res = await iq.send()
            slot = res.xml.find(NS + "slot")
            put, get = slot.find(NS + "put"), slot.find(NS + "get")
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(put.get("url") + "\n" + get.get("url") + "\n")
                for h in put.findall(NS + "header"):
                    f.write("%s: %s\n" % (h.get("name"), h.text or ""))
            self.ok = True
        finally:
            self.disconnect()


x = Asker()
x.connect(address=(host, int(port)))
x.loop.run_until_complete(x.disconnected)
sys.exit(0 if x.ok else 1)
