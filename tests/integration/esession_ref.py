#!/usr/bin/python3
r"""esession_ref.py: an independent offline ESession implementation, for the tests.

XEP-0187 offline encrypted sessions on XEP-0116/0188/0200, as profiled byte
for byte in PROTOCOLS.md section 1.12, written from that text only.  Alice is
the offline party who publishes signed Diffie-Hellman options; Bob is the
online sender who answers them with encrypted messages.

    esession_ref.py kat FILE
        FILE holds "name = value" lines of inputs (blank lines and # comments
        allowed; the value is what follows the first "=", blanks around it
        removed; key paths are relative to FILE's directory).  Prints every
        value of KAT_OUTPUTS, one "name = value" line each, then options_xml
        and message_xml (this program's serialisations, informative only).
        A value is written with "\" as "\\" and a newline as "\n".  Alice's
        side then checks the message it made and must read the text back.

    esession_ref.py publish --jid J --password-file F --server HOST:PORT
        --cafile CA --key ALICE.pem --state DIR [--expires SECONDS]
        [--groups 14,15,16] [--public] [--match-resource R]
        Alice: makes N_A and one x per group, signs the options form, keeps
        the secrets in DIR and publishes the form as item "current" of her
        PEP node http://www.xmpp.org/extensions/xep-0187.html#ns (access
        model presence), or with --public of the node
        http://www.xmpp.org/extensions/xep-0116.html#ns (access model open).

    esession_ref.py send --jid J --password-file F --server HOST:PORT
        --cafile CA --key BOB.pem --to ALICEBAREJID --peer-key ALICE.pub
        [--text TEXT]            (else stdin, one trailing newline removed)
        [--session --text TEXT --text TEXT...]
        Bob: fetches Alice's options (XEP-0187 node; only if it has none, the
        XEP-0116 node), requires a signature by the key in ALICE.pub (an
        XEP-0189 <pubkey/>) and options not expired, and sends one one-shot
        message (<init/> with terminate=1, and <c/>).  With --session: no
        terminate field; each further TEXT goes in a message holding only
        <c/> (the counter going on), then one more <c/> holds the encrypted
        XEP-0116 termination form.

    esession_ref.py recv --jid J --password-file F --server HOST:PORT
        --cafile CA --state DIR --peer-key BOB.pub [--count N] [--timeout S]
        [--resource R]
        Alice: online with presence.  Every message holding an XEP-0116
        <init/> is checked as 1.12 says (and a message holding only <c/> from
        the full JID of a session opened without terminate=1 is checked
        against that session).  The <body/> text of each goes to stdout, one
        line (written as in kat: "\" as "\\", a newline as "\n"; a message
        without <body/>, such as a termination, prints nothing); a message
        that fails a check prints one line on stderr naming the check and
        nothing on stdout.  Ends after N such messages, refused ones
        included (status 0, or 1 if any was refused), or after S seconds
        (default 30): status 6 if fewer than N came, without --count 0 (1 if
        any was refused).  Other messages are left alone.

    esession_ref.py primes
        Computes the RFC 3526 groups 14, 15 and 16 from their formula,
        checks them against the digits PROTOCOLS.md gives and tests them
        and (p-1)/2 with Miller-Rabin; prints "GROUP BITS ok" each.

State DIR (mode 0700): options-NONCEHEX.json per published options set
(nonce, expiry, x per group, ciphers; mode 0600) and "seen" (mode 0600): the
d (SHA-256 of be(d), hex) and N_B (base64) of every message accepted.

Exit status: 0 success; 1 a negative result (options missing, expired or
unsigned, a message refused); 2 usage or bad input; 3 network or TLS;
4 authentication; 5 a stanza error from the server; 6 a timeout.
ESREF_DEBUG=1 in the environment logs the XML streams on stderr.
"""
import argparse
import asyncio
import base64
import binascii
import calendar
import hashlib
import hmac
import json
import logging
import os
import random
import re
import secrets
import ssl
import sys
import time
import xml.etree.ElementTree as ET

logging.basicConfig(level=logging.DEBUG if os.environ.get("ESREF_DEBUG")
                    else logging.CRITICAL + 1, format="%(levelname)s %(message)s")

from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: E402
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402

PROG = "esession_ref"
NS_DATA = "jabber:x:data"
NS_INIT = "http://www.xmpp.org/extensions/xep-0116.html#ns-init"
NS_C = "http://www.xmpp.org/extensions/xep-0200.html#ns"
NS_PUBSUB = "http://jabber.org/protocol/pubsub"
NS_PUBSUB_OWNER = "http://jabber.org/protocol/pubsub#owner"
NS_PUBSUB_ERRORS = "http://jabber.org/protocol/pubsub#errors"
NS_PUBKEY = "urn:xmpp:pubkey:1"
NS_CLIENT = "jabber:client"
NODE_0187 = "http://www.xmpp.org/extensions/xep-0187.html#ns"
NODE_0116 = "http://www.xmpp.org/extensions/xep-0116.html#ns"
NS_XML = "http://www.w3.org/XML/1998/namespace"

CIPHERS = {"aes256-ctr": 32, "aes128-ctr": 16}   # our choice order when offering
TWO127 = 1 << 127
TWO128 = 1 << 128


class Refused(Exception):
    """A check failed: .check names it, the message says why."""

    def __init__(self, check, why):
        super().__init__("%s: %s" % (check, why))
        self.check = check


class Fatal(Exception):
    """End the program: message and exit status."""

    def __init__(self, msg, status=1):
        super().__init__(msg)
        self.status = status


# ------------------------------------------------------------------ MODP groups
# PROTOCOLS.md 1.3: p = 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) * pi) + k),
# g = 2.  Nothing but k and the published check digits is written here.

MODP_SPEC = {  # group: (bits n, k, the 32 bits before the trailing 64 one-bits)
    14: (2048, 124476, "8AACAA68"),
    15: (3072, 1690314, "A93AD2CA"),
    16: (4096, 240904, "34063199"),
}


def _arctan_inv(x, one):
    """arctan(1/x) * one, in integers (the series, truncated at each term)."""
    total = term = one // x
    x2, n, sign = x * x, 1, -1
    while term:
        term //= x2
        n += 2
        total += sign * (term // n)
        sign = -sign
    return total


def _pi_floor(bits):
    """floor(pi * 2^bits), by Machin's formula with 64 guard bits; an error in
    the last bit would show in the check digits below."""
    one = 1 << (bits + 64)
    return (16 * _arctan_inv(5, one) - 4 * _arctan_inv(239, one)) >> 64


def _modp(group):
    n, k, tail = MODP_SPEC[group]
    p = (1 << n) - (1 << (n - 64)) - 1 + (1 << 64) * (_pi_floor(n - 130) + k)
    h = "%X" % p
    if (p.bit_length() != n or not h.startswith("FFFFFFFFFFFFFFFFC90FDAA2")
            or not h.endswith(tail + "F" * 16)):
        raise AssertionError("MODP group %d does not match its check digits" % group)
    return p


MODP = {g: _modp(g) for g in MODP_SPEC}


def miller_rabin(n, rounds):
    if n < 4:
        return n in (2, 3)
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    rng = random.Random(n)  # reproducible witnesses
    for _ in range(rounds):
        a = rng.randrange(2, n - 1)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


# ------------------------------------------------------------------ encodings

def be(i):
    """Minimal big-endian octets of a non-negative integer (0 gives b'\\0')."""
    if i < 0:
        raise ValueError("negative integer")
    return i.to_bytes(max(1, (i.bit_length() + 7) // 8), "big")


def b64(data):
    return base64.b64encode(data).decode("ascii")


def unb64(text, what):
    """Strict base64 (whitespace ignored)."""
    try:
        return base64.b64decode("".join((text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        raise Refused(what, "not base64")


def hmac256(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()


def esc_text(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def esc_attr(s):
    return esc_text(s).replace('"', "&quot;")


def oneline(s):
    return s.replace("\\", "\\\\").replace("\n", "\\n")


def local(tag):
    return tag.rsplit("}", 1)[-1]


def attr_name(key):
    if key.startswith("{"):
        ns, name = key[1:].split("}", 1)
        return ("xml:" + name) if ns == NS_XML else name
    return key


def norm(el):
    """1.12 norm(): name without namespace, attributes sorted by name (no
    namespace declarations: ElementTree has none), children in order,
    whitespace-only text between elements dropped, a leaf's text exactly,
    always a start-end pair."""
    name = local(el.tag)
    attrs = sorted((attr_name(k), v) for k, v in el.attrib.items())
    out = ["<", name]
    for k, v in attrs:
        out.append(' %s="%s"' % (k, esc_attr(v)))
    out.append(">")
    children = list(el)
    if not children:
        out.append(esc_text(el.text or ""))
    else:
        # Not in the profile's forms: text beside elements that is not only
        # whitespace is kept where it stands.
        if el.text and el.text.strip():
            out.append(esc_text(el.text))
        for child in children:
            out.append(norm(child))
            if child.tail and child.tail.strip():
                out.append(esc_text(child.tail))
    out.append("</%s>" % name)
    return "".join(out)


def content(x, except_vars=()):
    """1.12 content(x, except): norm() of the form's <field/> children in
    received order, skipping those whose var is listed."""
    return "".join(norm(f) for f in x if f.tag == "{%s}field" % NS_DATA
                   and f.get("var") not in except_vars)


def serialize(el, parent_ns=None):
    """One-line XML of an ElementTree element: xmlns where the namespace
    changes, attributes in single quotes in insertion order."""
    ns = el.tag[1:].split("}", 1)[0] if el.tag.startswith("{") else ""
    out = ["<", local(el.tag)]
    if ns != parent_ns:
        out.append(" xmlns='%s'" % esc_attr(ns).replace("'", "&apos;"))
    for k, v in el.attrib.items():
        out.append(" %s='%s'" % (attr_name(k), esc_attr(v).replace("'", "&apos;")))
    out.append(">")
    out.append(esc_text(el.text or ""))
    for child in el:
        out.append(serialize(child, ns))
        out.append(esc_text(child.tail or ""))
    out.append("</%s>" % local(el.tag))
    return "".join(out)


def sub(parent, tag, text=None, **attrs):
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def ctr(key, counter, data):
    """AES-CTR: block i is encrypted under the 16-octet big-endian counter
    (C + i) mod 2^128 (the whole block counts, as one number)."""
    nblocks = (len(data) + 15) // 16
    blocks = b"".join(((counter + i) % TWO128).to_bytes(16, "big") for i in range(nblocks))
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    stream = enc.update(blocks) + enc.finalize()
    return bytes(a ^ b for a, b in zip(data, stream))


def blocks(n):
    return (n + 15) // 16


# ------------------------------------------------------------------ time

_DT = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?$")


def parse_datetime(text):
    """XEP-0082 DateTime to a POSIX time (no zone = UTC)."""
    m = _DT.match((text or "").strip())
    if not m:
        raise ValueError("not an XEP-0082 DateTime: %r" % text)
    y, mo, d, h, mi, s = (int(v) for v in m.groups()[:6])
    t = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    if m.group(7):
        t += float(m.group(7))
    z = m.group(8)
    if z and z != "Z":
        off = int(z[1:3]) * 3600 + int(z[4:6]) * 60
        t -= off if z[0] == "+" else -off
    return t


def format_datetime(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(t)))


# ------------------------------------------------------------------ keys

def load_private_key(path):
    with open(path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("%s: not an RSA key" % path)
    return key


def load_pubkey_element(path):
    """The RSA key in the <key/> (base64 DER SubjectPublicKeyInfo) of an
    XEP-0189 <pubkey xmlns='urn:xmpp:pubkey:1'/>."""
    root = ET.parse(path).getroot()
    key = root if root.tag == "{%s}pubkey" % NS_PUBKEY else root.find(".//{%s}pubkey" % NS_PUBKEY)
    k = None if key is None else key.find("{%s}key" % NS_PUBKEY)
    if k is None:
        raise ValueError("%s: no <pubkey><key/></pubkey>" % path)
    der = base64.b64decode("".join((k.text or "").split()), validate=True)
    pub = serialization.load_der_public_key(der)
    if not isinstance(pub, rsa.RSAPublicKey):
        raise ValueError("%s: not an RSA key" % path)
    return pub


def keyvalue(pub):
    """1.12 pk: the XML-DSig <KeyValue/> string of an RSA public key."""
    nums = pub.public_numbers()
    return ("<KeyValue><RSAKeyValue><Modulus>%s</Modulus><Exponent>%s</Exponent>"
            "</RSAKeyValue></KeyValue>" % (b64(be(nums.n)), b64(be(nums.e))))


def rsa_sign(key, data):
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def rsa_verify(pub, sig, data):
    try:
        pub.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
        return True
    except (InvalidSignature, ValueError):
        return False


# ------------------------------------------------------------------ Alice's options

def random_exponent(p):
    """2^255 < x < p - 1."""
    while True:
        x = secrets.randbelow(p - 1)
        if x > 1 << 255:
            return x


def build_options(groups, xs, n_a, expires, alice_keys, crypt_algs=("aes256-ctr", "aes128-ctr"),
                  match_resource=None):
    """Alice's options form (1.12), signed with every key of alice_keys.
    Returns (x element, e per group, the signed content string)."""
    x = ET.Element("{%s}x" % NS_DATA, {"type": "form"})

    def field(var, ftype, values=(), options=()):
        f = sub(x, "{%s}field" % NS_DATA, type=ftype, var=var) if ftype else \
            sub(x, "{%s}field" % NS_DATA, var=var)
        for o in options:
            sub(sub(f, "{%s}option" % NS_DATA), "{%s}value" % NS_DATA, o)
        for v in values:
            sub(f, "{%s}value" % NS_DATA, v)
        return f

    es = {}
    for g in groups:
        p = MODP[g]
        if not (1 << 255) < xs[g] < p - 1:
            raise Fatal("x for group %d is out of range" % g, 2)
        es[g] = pow(2, xs[g], p)
    field("FORM_TYPE", "hidden", values=["urn:xmpp:ssn"])
    field("otr", "list-single", options=["false"])
    field("disclosure", "list-single", options=["never"])
    field("security", "list-single", options=["e2e"])
    field("modp", "list-single", options=[str(g) for g in groups])
    field("crypt_algs", "list-single", options=list(crypt_algs))
    field("hash_algs", "list-single", options=["sha256"])
    field("sign_algs", "list-single", options=["rsa"])
    field("compress", "list-single", options=["none"])
    field("stanzas", "list-multi", options=["message"])
    field("ver", "list-single", options=["1.3"])
    field("rekey_freq", "text-single", values=["1"])
    field("expires", "hidden", values=[expires])
    field("my_nonce", "hidden", values=[b64(n_a)])
    field("dhkeys", "hidden", values=[b64(be(es[g])) for g in groups])
    if match_resource is not None:
        field("match_resource", "text-single", values=[match_resource])
    signed = content(x, {"signs"})
    field("signs", "hidden", values=[b64(rsa_sign(k, signed.encode("utf-8"))) for k in alice_keys])
    return x, es, signed


def form_fields(x):
    """{var: (values, option values)} of a data form, first field of a var wins."""
    out = {}
    for f in x.findall("{%s}field" % NS_DATA):
        var = f.get("var")
        if var is None or var in out:
            continue
        values = [v.text or "" for v in f.findall("{%s}value" % NS_DATA)]
        options = [v.text or "" for o in f.findall("{%s}option" % NS_DATA)
                   for v in o.findall("{%s}value" % NS_DATA)]
        out[var] = (values, options)
    return out


def choices(fields, var):
    """A field's offered values: its <option/>s, else its <value/>s."""
    values, options = fields.get(var, ([], []))
    return [s.strip() for s in (options or values)]


def single(fields, var, check):
    values, _ = fields.get(var, ([], []))
    if len(values) != 1:
        raise Refused(check, "the form needs exactly one '%s' value" % var)
    return values[0]


# ------------------------------------------------------------------ Bob

class BobChoice:
    pass


def bob_read_options(x, alice_pub, now):
    """Bob's checks of Alice's options form: FORM_TYPE, a signature by
    alice_pub over content(x, {signs}), not expired, a group and a cipher we
    support, e in range.  Returns a BobChoice."""
    fields = form_fields(x)
    if choices(fields, "FORM_TYPE") != ["urn:xmpp:ssn"]:
        raise Refused("options", "FORM_TYPE is not urn:xmpp:ssn")
    signed = content(x, {"signs"}).encode("utf-8")
    sigs = fields.get("signs", ([], []))[0]
    if not any(rsa_verify(alice_pub, unb64_or_none(s), signed) for s in sigs):
        raise Refused("signs", "no signature of the options verifies with Alice's key"
                      if sigs else "the options are not signed")
    try:
        expires = parse_datetime(single(fields, "expires", "expires"))
    except ValueError as e:
        raise Refused("expires", str(e))
    if now > expires:
        raise Refused("expires", "the options expired at %s" % format_datetime(expires))
    for var, want in (("hash_algs", "sha256"), ("sign_algs", "rsa"), ("compress", "none"),
                      ("stanzas", "message")):
        if want not in choices(fields, var):
            raise Refused("options", "'%s' does not offer %s" % (var, want))
    groups = choices(fields, "modp")
    dhkeys = fields.get("dhkeys", ([], []))[0]
    if len(dhkeys) != len(groups):
        raise Refused("options", "%d dhkeys for %d groups" % (len(dhkeys), len(groups)))
    c = BobChoice()
    for i, g in enumerate(groups):
        if g.isdigit() and int(g) in MODP:
            c.group, c.p = int(g), MODP[int(g)]
            c.e = int.from_bytes(unb64(dhkeys[i], "dhkeys"), "big")
            break
    else:
        raise Refused("modp", "no group offered is one of 14, 15, 16: %s" % ",".join(groups))
    for alg in choices(fields, "crypt_algs"):
        if alg in CIPHERS:
            c.cipher = alg
            break
    else:
        raise Refused("crypt_algs", "no cipher offered is aes256-ctr or aes128-ctr")
    if not 1 < c.e < c.p - 1:
        raise Refused("dhkeys", "e is not in 1 < e < p-1")
    c.nonce_text = single(fields, "my_nonce", "my_nonce")
    c.n_a = unb64(c.nonce_text, "my_nonce")
    mr = fields.get("match_resource", ([], []))[0]
    c.match_resource = mr[0].strip() if mr else None
    return c


def unb64_or_none(s):
    try:
        return unb64(s, "signs")
    except Refused:
        return b""


def session_keys(secret, keylen):
    """K and the responder's keys from the shared integer."""
    k = hashlib.sha256(be(secret)).digest()
    kc = hmac256(k, b"Responder Cipher Key")[-keylen:]
    km = hmac256(k, b"Responder MAC Key")
    ks = hmac256(k, b"Responder SIGMA Key")
    return k, kc, km, ks


def bob_message(c, bob_key, to, y, n_b, c_a, text, terminate=True):
    """Bob's message (1.12) for the options choice c.  Returns a dict of
    every value and the <message/> element."""
    r = {}
    p = c.p
    if not (1 << 255) < y < p - 1:
        raise Fatal("y is out of range", 2)
    if not 0 <= c_a < TWO128:
        raise Fatal("C_A is not 128 bits", 2)
    d = pow(2, y, p)
    r["d"] = d
    r["K"], kc, km, ks = session_keys(pow(c.e, y, p), CIPHERS[c.cipher])
    r["KC"], r["KM"], r["KS"] = kc, km, ks
    C = c_a ^ TWO127

    msg = ET.Element("{%s}message" % NS_CLIENT, {"to": to, "type": "chat"})
    init = sub(msg, "{%s}init" % NS_INIT)
    x = sub(init, "{%s}x" % NS_DATA, type="submit")

    def field(var, value):
        sub(sub(x, "{%s}field" % NS_DATA, var=var), "{%s}value" % NS_DATA, value)

    for var, value in (("FORM_TYPE", "urn:xmpp:ssn"), ("otr", "false"),
                       ("disclosure", "never"), ("security", "e2e"),
                       ("modp", str(c.group)), ("crypt_algs", c.cipher),
                       ("hash_algs", "sha256"), ("sign_algs", "rsa"),
                       ("compress", "none"), ("stanzas", "message"), ("ver", "1.3"),
                       ("rekey_freq", "1"), ("my_nonce", b64(n_b)),
                       ("dhkeys", b64(be(d))), ("nonce", c.nonce_text),
                       ("counter", b64(be(c_a)))):
        field(var, value)
    if terminate:
        field("terminate", "1")
    r["form_b"] = content(x, {"identity", "mac"})
    r["pk"] = keyvalue(bob_key.public_key())
    r["mac_b"] = hmac256(ks, c.n_a + n_b + be(d) + r["pk"].encode("utf-8")
                         + r["form_b"].encode("utf-8"))
    r["sig"] = rsa_sign(bob_key, r["mac_b"])
    plain_id = (r["pk"] + "<SignatureValue>" + b64(r["sig"]) + "</SignatureValue>").encode("utf-8")
    r["id_b"] = ctr(kc, C, plain_id)
    r["m_b"] = hmac256(km, be(C) + r["id_b"])
    C = (C + blocks(len(r["id_b"]))) % TWO128
    r["c_after_id"] = C
    field("identity", b64(r["id_b"]))
    field("mac", b64(r["m_b"]))
    r["m"] = "<body>" + esc_text(text) + "</body>"
    cel, r["data"], r["a_mac"], r["next"] = seal_c(kc, km, C, r["m"])
    msg.append(cel)
    r["message"] = msg
    return r


def seal_c(kc, km, C, m):
    """XEP-0200 <c/> for the content m (a string) at counter C: returns the
    element, the ciphertext, a_mac and the counter for the next stanza."""
    data = ctr(kc, C, m.encode("utf-8"))
    a_mac = hmac256(km, ("<data>" + b64(data) + "</data>").encode("ascii") + be(C))
    cel = ET.Element("{%s}c" % NS_C)
    sub(cel, "{%s}data" % NS_C, b64(data))
    sub(cel, "{%s}mac" % NS_C, b64(a_mac))
    return cel, data, a_mac, (C + max(1, blocks(len(data)))) % TWO128


def termination_form():
    """The XEP-0116 termination form, the content of a session's last stanza."""
    x = ET.Element("{%s}x" % NS_DATA, {"type": "submit"})
    for var, value in (("FORM_TYPE", "urn:xmpp:ssn"), ("terminate", "1")):
        sub(sub(x, "{%s}field" % NS_DATA, var=var), "{%s}value" % NS_DATA, value)
    return serialize(x)


# ------------------------------------------------------------------ Alice's state

class State:
    """DIR/options-NONCEHEX.json: one per published options set (nonce,
    expiry, x per group, ciphers), mode 0600; DIR/seen: the d (as SHA-256
    of be(d)) and N_B (base64) of every message accepted, one per line."""

    def __init__(self, path):
        self.path = path
        self.options = {}      # N_A bytes -> dict
        self.seen = set()
        self.sessions = {}     # sender full JID -> open session (no terminate)

    @staticmethod
    def ensure_dir(path):
        os.makedirs(path, mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)

    def load(self):
        try:
            names = sorted(os.listdir(self.path))
        except OSError as e:
            raise Fatal("--state: %s" % e, 2)
        for name in names:
            if name.startswith("options-") and name.endswith(".json"):
                with open(os.path.join(self.path, name)) as f:
                    o = json.load(f)
                self.options[base64.b64decode(o["nonce"])] = o
        try:
            with open(os.path.join(self.path, "seen")) as f:
                self.seen = {line.strip() for line in f if line.strip()}
        except FileNotFoundError:
            pass
        return self

    def write_options(self, o):
        self.ensure_dir(self.path)
        name = os.path.join(self.path, "options-%s.json" % base64.b64decode(o["nonce"]).hex())
        tmp = name + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(o, f, indent=1, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, name)
        return name

    def remember(self, marks):
        fd = os.open(os.path.join(self.path, "seen"),
                     os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "a") as f:
            for m in marks:
                f.write(m + "\n")
                self.seen.add(m)
            f.flush()
            os.fsync(f.fileno())


def seen_marks(d, n_b):
    return ["d " + hashlib.sha256(be(d)).hexdigest(), "nb " + b64(n_b)]


def alice_accept(msg, state, bob_pub, now, sender=""):
    """Alice's checks of 1.12 on a received <message/> element.  Returns the
    decrypted content m (bytes) and remembers d and N_B; raises Refused."""
    init = msg.find("{%s}init" % NS_INIT)
    x = None if init is None else init.find("{%s}x" % NS_DATA)
    if x is None:
        raise Refused("form", "no <init/> data form")
    fields = form_fields(x)

    def one(var):
        return single(fields, var, "form")

    # Options not expired: those of the nonce Bob names (their expiry is
    # known only once the nonce picked them).
    n_a = unb64(one("nonce"), "nonce")
    o = state.options.get(n_a)
    if o is None:
        raise Refused("nonce", "the nonce is not one of ours")
    if now > parse_datetime(o["expires"]):
        raise Refused("expired", "our options for this nonce expired at %s" % o["expires"])
    group = one("modp").strip()
    xs = {str(g["group"]): int(g["x"], 16) for g in o["groups"]}
    if group not in xs:
        raise Refused("group", "modp %r is not one of our groups" % group)
    cipher = one("crypt_algs").strip()
    if cipher not in o["crypt_algs"] or cipher not in CIPHERS:
        raise Refused("cipher", "crypt_algs %r is not one we offered" % cipher)
    for var, want in (("hash_algs", "sha256"), ("sign_algs", "rsa"), ("compress", "none")):
        if var in fields and one(var).strip() != want:
            raise Refused("form", "%s is not %s" % (var, want))
    p = MODP[int(group)]
    d = int.from_bytes(unb64(one("dhkeys"), "dhkeys"), "big")
    if not 1 < d < p - 1:
        raise Refused("d", "d is not in 1 < d < p-1")
    n_b = unb64(one("my_nonce"), "my_nonce")
    if not n_b:
        raise Refused("my_nonce", "empty N_B")
    marks = seen_marks(d, n_b)
    if marks[0] in state.seen:
        raise Refused("replay", "this d was seen before")
    if marks[1] in state.seen:
        raise Refused("replay", "this N_B was seen before")
    c_a = int.from_bytes(unb64(one("counter"), "counter"), "big")
    if c_a >= TWO128:
        raise Refused("counter", "the counter is wider than 128 bits")
    C = c_a ^ TWO127
    _, kc, km, ks = session_keys(pow(d, xs[group], p), CIPHERS[cipher])
    id_b = unb64(one("identity"), "identity")
    m_b = unb64(one("mac"), "mac")
    if not hmac.compare_digest(hmac256(km, be(C) + id_b), m_b):
        raise Refused("M_B", "the identity MAC does not verify")
    plain_id = ctr(kc, C, id_b)
    C = (C + blocks(len(id_b))) % TWO128
    m = re.fullmatch(rb"(.*)<SignatureValue>([^<]*)</SignatureValue>", plain_id, re.S)
    if not m:
        raise Refused("ID_B", "the decrypted identity is not <KeyValue/><SignatureValue/>")
    pk = m.group(1)
    if pk != keyvalue(bob_pub).encode("utf-8"):
        raise Refused("KeyValue", "the sender's key is not the one expected")
    sig = unb64(m.group(2).decode("ascii", "replace"), "ID_B")
    form_b = content(x, {"identity", "mac"}).encode("utf-8")
    mac_b = hmac256(ks, n_a + n_b + be(d) + pk + form_b)
    if not rsa_verify(bob_pub, sig, mac_b):
        raise Refused("signature", "the signature over mac_B does not verify")
    cel = msg.find("{%s}c" % NS_C)
    if cel is None:
        raise Refused("c", "no <c/>")
    plain, C = open_c(cel, kc, km, C)
    state.remember(marks)
    terminate = fields.get("terminate", ([], []))[0]
    if not (terminate and terminate[0].strip() in ("1", "true")) and sender:
        state.sessions[sender] = (kc, km, C)
    return plain


def open_c(cel, kc, km, C):
    """Check a_mac of a received <c/> and decrypt its <data/>.  Returns
    (m, the counter after it)."""
    parts, data, macs = [], [], []
    for child in cel:
        name = local(child.tag)
        if name == "mac":
            macs.append(child.text or "")
            continue
        text = (child.text or "").strip()
        parts.append("<%s>%s</%s>" % (name, text, name))
        if name == "data":
            data.append(text)
    if len(macs) != 1 or len(data) != 1:
        raise Refused("a_mac", "<c/> needs one <data/> and one <mac/>")
    a_mac = unb64(macs[0], "a_mac")
    if not hmac.compare_digest(hmac256(km, "".join(parts).encode("utf-8") + be(C)), a_mac):
        raise Refused("a_mac", "the stanza MAC does not verify")
    ct = unb64(data[0], "data")
    return ctr(kc, C, ct), (C + max(1, blocks(len(ct)))) % TWO128


def parse_m(m):
    """The decrypted content: its <body/> text (None when it has none) and
    whether it terminates the session."""
    try:
        root = ET.fromstring(b"<r xmlns='jabber:client'>" + m + b"</r>")
    except ET.ParseError as e:
        raise Refused("m", "the decrypted content is not well-formed XML (%s)" % e)
    body = root.find("{%s}body" % NS_CLIENT)
    ends = False
    for x in root.iter("{%s}x" % NS_DATA):
        values = form_fields(x).get("terminate", ([], []))[0]
        if values and values[0].strip() in ("1", "true"):
            ends = True
    return (None if body is None else body.text or ""), ends


# ------------------------------------------------------------------ kat

KAT_INPUTS = ("alice_key", "bob_key", "alice_jid", "bob_jid", "expires", "groups",
              "crypt_algs", "n_a", "y", "n_b", "c_a", "text", "terminate")
KAT_OUTPUTS = ("options_content", "signs", "chosen_group", "chosen_cipher", "d", "K",
               "KC", "KM", "KS", "form_b", "pk", "mac_b", "sig", "id_b", "m_b",
               "c_after_id", "m", "data", "a_mac")


def read_kat(path):
    v = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if "=" not in line:
                raise Fatal("%s:%d: not 'name = value'" % (path, n), 2)
            name, value = line.split("=", 1)
            v[name.strip()] = value.strip()
    missing = [k for k in KAT_INPUTS if k not in v]
    if missing:
        raise Fatal("%s: missing %s" % (path, ", ".join(missing)), 2)
    return v


def relpath(base, p):
    return p if os.path.isabs(p) else os.path.join(os.path.dirname(base), p)


def cmd_kat(a):
    v = read_kat(a.file)
    try:
        alice_key = load_private_key(relpath(a.file, v["alice_key"]))
        bob_key = load_private_key(relpath(a.file, v["bob_key"]))
        groups = [int(g) for g in v["groups"].split(",")]
        if any(g not in MODP for g in groups):
            raise ValueError("groups: only 14, 15, 16")
        xs = {g: int(v["x_%d" % g], 16) for g in groups}
        crypt_algs = [s.strip() for s in v["crypt_algs"].split(",")]
        n_a, n_b = bytes.fromhex(v["n_a"]), bytes.fromhex(v["n_b"])
        c_a_raw = bytes.fromhex(v["c_a"])
        y = int(v["y"], 16)
        if len(n_a) != 16 or len(n_b) != 16 or len(c_a_raw) != 16:
            raise ValueError("n_a, n_b and c_a are 16 octets")
        terminate = {"1": True, "0": False}[v["terminate"]]
    except (OSError, ValueError, KeyError) as e:
        raise Fatal("%s: %s" % (a.file, e), 2)
    mr = v.get("match_resource") or None
    x, es, signed = build_options(groups, xs, n_a, v["expires"], [alice_key],
                                  crypt_algs, mr)
    out = []
    for g in groups:
        out.append(("e_%d" % g, b64(be(es[g]))))
    fields = form_fields(x)
    now = parse_datetime(v["expires"]) - 1
    c = bob_read_options(x, alice_key.public_key(), now)
    to = v["alice_jid"] + ("/" + c.match_resource if c.match_resource else "")
    r = bob_message(c, bob_key, to, y, n_b, int.from_bytes(c_a_raw, "big"), v["text"], terminate)
    r["message"].set("from", v["bob_jid"])
    vals = {
        "options_content": oneline(signed), "signs": fields["signs"][0][0],
        "chosen_group": str(c.group), "chosen_cipher": c.cipher, "d": b64(be(r["d"])),
        "K": r["K"].hex(), "KC": r["KC"].hex(), "KM": r["KM"].hex(), "KS": r["KS"].hex(),
        "form_b": oneline(r["form_b"]), "pk": oneline(r["pk"]), "mac_b": r["mac_b"].hex(),
        "sig": b64(r["sig"]), "id_b": b64(r["id_b"]), "m_b": b64(r["m_b"]),
        "c_after_id": r["c_after_id"].to_bytes(16, "big").hex(), "m": oneline(r["m"]),
        "data": b64(r["data"]), "a_mac": b64(r["a_mac"]),
    }
    out += [(k, vals[k]) for k in KAT_OUTPUTS]
    out.append(("options_xml", oneline(serialize(x))))
    out.append(("message_xml", oneline(serialize(r["message"]))))

    # Alice's side on the same message, reparsed from the text: it must
    # give the text back, or the vector is no good.
    st = State(None)
    st.options[n_a] = {"nonce": b64(n_a), "expires": v["expires"], "crypt_algs": crypt_algs,
                       "groups": [{"group": g, "x": "%x" % xs[g]} for g in groups]}
    st.remember = lambda marks: st.seen.update(marks)
    try:
        m = alice_accept(ET.fromstring(serialize(r["message"])), st, bob_key.public_key(), now)
        body, _ = parse_m(m)
    except Refused as e:
        raise Fatal("self-check: Alice refuses the message: %s" % e)
    if body != v["text"]:
        raise Fatal("self-check: Alice reads %r" % body)
    for k, val in out:
        print("%s = %s" % (k, val))
    return 0


def cmd_primes(_):
    for g in sorted(MODP):
        p = MODP[g]
        if not (miller_rabin(p, 2) and miller_rabin((p - 1) // 2, 2)):
            raise Fatal("group %d is not a safe prime" % g)
        print("%d %d ok" % (g, p.bit_length()))
    return 0


# ------------------------------------------------------------------ network

def load_network_modules():
    global slixmpp, IqError, IqTimeout, Callback, MatchXPath
    import slixmpp  # noqa: F401
    from slixmpp.exceptions import IqError, IqTimeout  # noqa: F401
    from slixmpp.xmlstream.handler import Callback  # noqa: F401
    from slixmpp.xmlstream.matcher import MatchXPath  # noqa: F401


class Client:
    """A slixmpp client that ends with a status: done is a future."""

    def __init__(self, a, resource=None):
        with open(a.password_file) as f:
            password = f.readline().rstrip("\r\n")
        jid = a.jid + ("/" + resource if resource else "")
        self.x = slixmpp.ClientXMPP(jid, password)
        self.a = a
        self.x.ssl_context = ssl.create_default_context(cafile=a.cafile)
        self.loop = self.x.loop
        self.done = self.loop.create_future()
        self.x.add_event_handler("session_start", self._session)
        self.x.add_event_handler("connection_failed",
                                 lambda e: self.fail("cannot connect: %s" % e, 3))
        self.x.add_event_handler("ssl_invalid_chain",
                                 lambda e: self.fail("server certificate: %s" % e, 3))
        self.x.add_event_handler("failed_all_auth", lambda _: self.fail("login failed", 4))
        self.x.add_event_handler("disconnected",
                                 lambda _: self.fail("disconnected by the server", 3))

    def fail(self, msg, status=1):
        if not self.done.done():
            print("%s: %s" % (PROG, msg), file=sys.stderr, flush=True)
            self.done.set_result(status)

    def finish(self, status):
        if not self.done.done():
            self.done.set_result(status)

    def _session(self, _):
        async def run():
            try:
                self.finish(await self.session())
            except Fatal as e:
                self.fail(str(e), e.status)
            except Refused as e:
                self.fail(str(e), 1)
            except IqError as e:
                self.fail("the server answered %s" % stanza_error(e.iq), 5)
            except IqTimeout:
                self.fail("no answer from the server", 6)
            except Exception as e:  # a bug must not leave us hanging
                self.fail("internal error: %r" % e, 1)
        asyncio.ensure_future(run())

    def run(self, limit):
        host, _, port = self.a.server.rpartition(":")
        self.x.connect(address=(host, int(port)))
        try:
            status = self.loop.run_until_complete(asyncio.wait_for(self.done, limit))
        except asyncio.TimeoutError:
            status = self.timed_out()
        sys.stdout.flush()
        self.x.disconnect(wait=2)
        try:
            self.loop.run_until_complete(asyncio.wait_for(self.x.disconnected, 5))
        except Exception:
            pass
        return status

    def timed_out(self):
        print("%s: timed out" % PROG, file=sys.stderr, flush=True)
        return 6

    async def iq(self, itype, payload, to=None, timeout=20):
        iq = self.x.make_iq_set(ito=to) if itype == "set" else self.x.make_iq_get(ito=to)
        iq.append(payload)
        return await iq.send(timeout=timeout)

    async def ping(self):
        await self.iq("get", ET.Element("{urn:xmpp:ping}ping"), to=self.x.boundjid.domain)


def stanza_error(stanza):
    err = stanza.xml.find("{%s}error" % NS_CLIENT)
    if err is None:
        return "an error"
    names = [local(c.tag) for c in err if local(c.tag) != "text"]
    text = err.find("{urn:ietf:params:xml:ns:xmpp-stanzas}text")
    s = " ".join(names) or "an error"
    if text is not None and text.text:
        s += " (%s)" % " ".join(text.text.split())
    return s


def error_child(e, ns, name):
    return e.iq.xml.find(".//{%s}%s" % (ns, name)) is not None


PUBLISH_OPTIONS_OPTIONAL = ("pubsub#persist_items", "pubsub#deliver_notifications",
                            "pubsub#send_last_published_item")


class Publisher(Client):
    async def session(self):
        a = self.a
        key = load_private_key(a.key)
        groups = a.groups
        n_a = secrets.token_bytes(16)
        xs = {g: random_exponent(MODP[g]) for g in groups}
        expires = format_datetime(int(time.time()) + a.expires)
        x, _, _ = build_options(groups, xs, n_a, expires, [key], match_resource=a.match_resource)
        node = NODE_0116 if a.public else NODE_0187
        state = State(a.state)
        saved = state.write_options({
            "jid": self.x.boundjid.bare, "node": node, "nonce": b64(n_a),
            "expires": expires, "crypt_algs": list(CIPHERS),
            "groups": [{"group": g, "x": "%x" % xs[g]} for g in groups],
            "match_resource": a.match_resource})
        opts = [("pubsub#access_model", "open" if a.public else "presence"),
                ("pubsub#persist_items", "true"), ("pubsub#deliver_notifications", "0"),
                ("pubsub#send_last_published_item", "never")]
        try:
            await self.publish(node, x, opts)
        except BaseException:
            os.unlink(saved)
            raise
        return 0

    async def publish(self, node, x, opts):
        reconfigured = False
        while True:
            pubsub = ET.Element("{%s}pubsub" % NS_PUBSUB)
            pub = sub(pubsub, "{%s}publish" % NS_PUBSUB, node=node)
            sub(pub, "{%s}item" % NS_PUBSUB, id="current").append(x)
            po = sub(pubsub, "{%s}publish-options" % NS_PUBSUB)
            po.append(config_form(opts, "http://jabber.org/protocol/pubsub#publish-options"))
            try:
                await self.iq("set", pubsub)
                return
            except IqError as e:
                err = stanza_error(e.iq)
                if error_child(e, NS_PUBSUB_ERRORS, "precondition-not-met") and not reconfigured:
                    # The node exists configured otherwise: configure it, once.
                    reconfigured = True
                    owner = ET.Element("{%s}pubsub" % NS_PUBSUB_OWNER)
                    conf = sub(owner, "{%s}configure" % NS_PUBSUB_OWNER, node=node)
                    conf.append(config_form(opts, "http://jabber.org/protocol/pubsub#node_config"))
                    await self.iq("set", owner)
                    continue
                named = [o for o in opts if o[0] in err and o[0] in PUBLISH_OPTIONS_OPTIONAL]
                left = [o for o in opts if o[0] in PUBLISH_OPTIONS_OPTIONAL]
                if e.iq["error"]["type"] in ("modify", "cancel") and (named or left):
                    drop = (named or left)[-1]
                    print("%s: the server refused the publish-options (%s); "
                          "publishing without %s" % (PROG, err, drop[0]),
                          file=sys.stderr, flush=True)
                    opts = [o for o in opts if o != drop]
                    continue
                raise


def config_form(opts, form_type):
    x = ET.Element("{%s}x" % NS_DATA, {"type": "submit"})
    f = sub(x, "{%s}field" % NS_DATA, var="FORM_TYPE", type="hidden")
    sub(f, "{%s}value" % NS_DATA, form_type)
    for var, value in opts:
        sub(sub(x, "{%s}field" % NS_DATA, var=var), "{%s}value" % NS_DATA, value)
    return x


class Sender(Client):
    async def session(self):
        a = self.a
        bob_key = load_private_key(a.key)
        alice_pub = load_pubkey_element(a.peer_key)
        to = slixmpp.JID(a.to).bare
        c = None
        for node in (NODE_0187, NODE_0116):
            forms = await self.fetch(to, node)
            if not forms:
                continue
            # The subscribers' node has options: no falling back past them.
            why = None
            for x in forms:
                try:
                    c = bob_read_options(x, alice_pub, time.time())
                    break
                except Refused as e:
                    why = why or e
            if c is None:
                raise why
            break
        if c is None:
            raise Fatal("%s has no offline ESession options visible to us" % to, 1)
        if c.match_resource:
            to = "%s/%s" % (to, c.match_resource)
        y = random_exponent(c.p)
        r = bob_message(c, bob_key, to, y, secrets.token_bytes(16),
                        int.from_bytes(secrets.token_bytes(16), "big"), a.text[0],
                        terminate=not a.session)
        stanzas = [list(r["message"])]
        if a.session:
            # The same session goes on: each further text in a stanza of its
            # own holding only <c/>, the counter going on; then the
            # encrypted termination form.
            C = r["next"]
            for m in ["<body>" + esc_text(t) + "</body>" for t in a.text[1:]] + \
                    [termination_form()]:
                cel, _, _, C = seal_c(r["KC"], r["KM"], C, m)
                stanzas.append([cel])
        sent = []
        for children in stanzas:
            msg = self.x.make_message(mto=to, mtype="chat")
            for child in children:
                msg.append(child)
            # --hold (tests): written to --raw-out only, for the tests to
            # alter and send themselves.
            if not a.hold:
                msg.send()
            sent.append(str(msg))
        if a.raw_out:
            with open(a.raw_out, "w") as f:
                f.write("".join(s + "\n" for s in sent))
        await self.ping()  # the server has taken the messages
        return 0

    async def fetch(self, to, node):
        pubsub = ET.Element("{%s}pubsub" % NS_PUBSUB)
        sub(pubsub, "{%s}items" % NS_PUBSUB, node=node)
        try:
            res = await self.iq("get", pubsub, to=to)
        except IqError:
            return []  # forbidden, item-not-found...: nothing visible here
        return [x for x in res.xml.iterfind(
            "{%s}pubsub/{%s}items/{%s}item/{%s}x" % (NS_PUBSUB, NS_PUBSUB, NS_PUBSUB, NS_DATA))
            if x.get("type") in ("form", None)]


class Receiver(Client):
    def __init__(self, a):
        super().__init__(a, a.resource)
        self.state = State(a.state).load()
        self.bob_pub = load_pubkey_element(a.peer_key)
        self.handled = 0
        self.refused = 0
        # slixmpp's "message" event needs a <body/>, which ours lack.
        self.x.register_handler(Callback("esession message", MatchXPath(
            "{%s}message" % NS_CLIENT), self.on_message))

    async def session(self):
        self.x.send_presence()
        return await asyncio.Future()  # until count or timeout

    def on_message(self, msg):
        if self.done.done() or msg["type"] == "error":
            return
        sender = msg["from"].full
        xml = msg.xml
        init = xml.find("{%s}init" % NS_INIT)
        try:
            if init is not None:
                m = alice_accept(xml, self.state, self.bob_pub, time.time(), sender)
            elif xml.find("{%s}c" % NS_C) is not None and sender in self.state.sessions:
                kc, km, C = self.state.sessions[sender]
                m, C = open_c(xml.find("{%s}c" % NS_C), kc, km, C)
                self.state.sessions[sender] = (kc, km, C)
            else:
                return  # not for us
            body, ends = parse_m(m)
            if ends:
                self.state.sessions.pop(sender, None)
            if body is not None:
                print(oneline(body), flush=True)
        except Refused as e:
            self.refused += 1
            print("%s: message from %s refused: %s" % (PROG, sender, e),
                  file=sys.stderr, flush=True)
        except Exception as e:  # input nothing above foresaw: still one line
            self.refused += 1
            print("%s: message from %s refused: malformed: %r" % (PROG, sender, e),
                  file=sys.stderr, flush=True)
        self.handled += 1
        if self.a.count and self.handled >= self.a.count:
            self.finish(1 if self.refused else 0)

    def timed_out(self):
        if self.a.count:
            print("%s: timed out after %d of %d messages" % (PROG, self.handled, self.a.count),
                  file=sys.stderr, flush=True)
            return 6
        return 1 if self.refused else 0


# ------------------------------------------------------------------ main

def parse_groups(s):
    try:
        groups = [int(g) for g in s.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError("a comma list of 14, 15, 16")
    if not groups or any(g not in MODP for g in groups) or len(set(groups)) != len(groups):
        raise argparse.ArgumentTypeError("a comma list of 14, 15, 16")
    return groups


def main():
    p = argparse.ArgumentParser(prog="esession_ref.py", allow_abbrev=False,
                                description="An independent offline ESession implementation.")
    cmds = p.add_subparsers(dest="cmd", required=True)
    k = cmds.add_parser("kat", allow_abbrev=False)
    k.add_argument("file")
    cmds.add_parser("primes", allow_abbrev=False)

    def net(name):
        s = cmds.add_parser(name, allow_abbrev=False)
        s.add_argument("--jid", required=True)
        s.add_argument("--password-file", required=True)
        s.add_argument("--server", required=True, help="HOST:PORT")
        s.add_argument("--cafile", required=True)
        return s

    s = net("publish")
    s.add_argument("--key", required=True)
    s.add_argument("--state", required=True)
    s.add_argument("--expires", type=int, default=43200)
    s.add_argument("--groups", type=parse_groups, default=[14, 15, 16])
    s.add_argument("--public", action="store_true")
    s.add_argument("--match-resource")
    s = net("send")
    s.add_argument("--key", required=True)
    s.add_argument("--to", required=True)
    s.add_argument("--peer-key", required=True)
    s.add_argument("--text", action="append")
    s.add_argument("--session", action="store_true")
    s.add_argument("--raw-out", help=argparse.SUPPRESS)
    s.add_argument("--hold", action="store_true", help=argparse.SUPPRESS)
    s = net("recv")
    s.add_argument("--state", required=True)
    s.add_argument("--peer-key", required=True)
    s.add_argument("--count", type=int, default=0)
    s.add_argument("--timeout", type=float, default=30)
    s.add_argument("--resource")
    a = p.parse_args()

    try:
        if a.cmd == "kat":
            return cmd_kat(a)
        if a.cmd == "primes":
            return cmd_primes(a)
        load_network_modules()
        if a.cmd == "publish":
            if a.expires < 1:
                raise Fatal("--expires must be positive", 2)
            c, limit = Publisher(a), 30
        elif a.cmd == "send":
            if a.text is None:
                a.text = [sys.stdin.buffer.read().decode("utf-8")]
                if a.text[0].endswith("\n"):
                    a.text[0] = a.text[0][:-1]
            if len(a.text) > 1 and not a.session:
                raise Fatal("several --text go with --session only", 2)
            c, limit = Sender(a), 30
        else:
            c, limit = Receiver(a), a.timeout
        return c.run(limit)
    except Fatal as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return e.status
    except (OSError, ValueError, ET.ParseError, UnicodeDecodeError) as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 2


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
