"""The common certificate read straight from its DER bytes, without `cryptography`.

Why: importing `cryptography.x509` costs more than the whole rest of a
``smtpkit check`` of a healthy server (benchmarks/cli_startup.py), and a server
certificate almost always has the same shape: single-valued names in UTF8,
Printable or IA5 strings, an RSA or NIST P-curve key, a PKCS#1 or ECDSA
signature and the usual extensions. This module reads exactly that shape and
refuses everything else with `Unsupported`; `smtpkit.knowledge.certs` then
reads the certificate with `cryptography` as before.

The contract is that a certificate read here gives the very `CertInfo` that
`cryptography` gives (tests/knowledge/test_der.py compares the two on every
kind of certificate the tests and the lab make, and on mutated ones). So the
reader is strict where `cryptography` might warn or fail: DER's minimal
encodings, a version 1 or 3 certificate with matching inner and outer
signature algorithms, no trailing bytes, strings that decode, names within
`cryptography`'s length limits, an RSA key it would load and an EC point on
its curve. A self-issued certificate is refused too: whether it signed itself
takes a signature check.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import ipaddress

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from typing import Any


class Unsupported(ValueError):
    """Not the common shape this reader handles (or not DER at all): `cryptography` decides."""


# -- tags -----------------------------------------------------------------------------------------
_BOOLEAN, _INTEGER, _BIT_STRING, _OCTET_STRING, _NULL, _OID = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06
_UTF8, _PRINTABLE, _IA5, _UTC_TIME, _GENERALIZED_TIME = 0x0C, 0x13, 0x16, 0x17, 0x18
_SEQUENCE, _SET = 0x30, 0x31

# RFC 4514 short names, as `cryptography` writes them; other attributes by their dotted OID
_ATTRIBUTE_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.6": "C",
    "2.5.4.9": "STREET",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
}
_COMMON_NAME = "2.5.4.3"
# `cryptography` warns (a Python warning) outside these byte lengths: let it
_LENGTH_LIMITS = {"2.5.4.6": (2, 2), "1.3.6.1.4.1.311.60.2.1.3": (2, 2), _COMMON_NAME: (1, 64)}
_PRINTABLE_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?")

# signature algorithm OID -> (name as `cryptography` gives it, hash name)
_SIGNATURES = {
    "1.2.840.113549.1.1.4": ("md5WithRSAEncryption", "md5"),
    "1.2.840.113549.1.1.5": ("sha1WithRSAEncryption", "sha1"),
    "1.2.840.113549.1.1.14": ("sha224WithRSAEncryption", "sha224"),
    "1.2.840.113549.1.1.11": ("sha256WithRSAEncryption", "sha256"),
    "1.2.840.113549.1.1.12": ("sha384WithRSAEncryption", "sha384"),
    "1.2.840.113549.1.1.13": ("sha512WithRSAEncryption", "sha512"),
    "1.2.840.10045.4.1": ("ecdsa-with-SHA1", "sha1"),
    "1.2.840.10045.4.3.1": ("ecdsa-with-SHA224", "sha224"),
    "1.2.840.10045.4.3.2": ("ecdsa-with-SHA256", "sha256"),
    "1.2.840.10045.4.3.3": ("ecdsa-with-SHA384", "sha384"),
    "1.2.840.10045.4.3.4": ("ecdsa-with-SHA512", "sha512"),
}

_RSA_KEY = "1.2.840.113549.1.1.1"
_EC_KEY = "1.2.840.10045.2.1"
# named curve OID -> (name, key size, p, b) of y^2 = x^3 - 3x + b over GF(p)
_CURVES = {
    "1.2.840.10045.3.1.7": (
        "secp256r1",
        256,
        0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF,
        0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
    ),
    "1.3.132.0.34": (
        "secp384r1",
        384,
        2**384 - 2**128 - 2**96 + 2**32 - 1,
        0xB3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF,
    ),
    "1.3.132.0.35": (
        "secp521r1",
        521,
        2**521 - 1,
        0x0051953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B503F00,
    ),
}

# extendedKeyUsage OIDs by the names people know (both readers use these)
EKU_NAMES = {
    "1.3.6.1.5.5.7.3.1": "serverAuth",
    "1.3.6.1.5.5.7.3.2": "clientAuth",
    "1.3.6.1.5.5.7.3.3": "codeSigning",
    "1.3.6.1.5.5.7.3.4": "emailProtection",
    "1.3.6.1.5.5.7.3.8": "timeStamping",
    "1.3.6.1.5.5.7.3.9": "OCSPSigning",
    "2.5.29.37.0": "anyExtendedKeyUsage",
}
_OCSP, _CA_ISSUERS = "1.3.6.1.5.5.7.48.1", "1.3.6.1.5.5.7.48.2"


# -- DER ------------------------------------------------------------------------------------------
class _Reader:
    """Consecutive TLVs of one constructed value, `data[pos:end]`; every length is checked against DER."""

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data, self.pos, self.end = data, pos, len(data) if end is None else end

    def done(self) -> bool:
        return self.pos >= self.end

    def peek(self) -> int | None:
        return self.data[self.pos] if self.pos < self.end else None

    def read(self, tag: int) -> tuple[int, int]:
        """The value of the next TLV, which must have `tag`, as (start, end) in `data`."""
        data, pos = self.data, self.pos
        if pos + 2 > self.end or data[pos] != tag:
            raise Unsupported(f"expected tag {tag:#x} at {pos}")
        length = data[pos + 1]
        pos += 2
        if length & 0x80:
            n = length & 0x7F
            if not 0 < n <= 3 or pos + n > self.end or data[pos] == 0:
                raise Unsupported("bad length")
            length = int.from_bytes(data[pos : pos + n], "big")
            if length < 0x80:
                raise Unsupported("length not minimal")
            pos += n
        if pos + length > self.end:
            raise Unsupported("value runs past its container")
        self.pos = pos + length
        return pos, pos + length

    def value(self, tag: int) -> bytes:
        start, end = self.read(tag)
        return self.data[start:end]

    def inner(self, tag: int) -> _Reader:
        start, end = self.read(tag)
        return _Reader(self.data, start, end)

    def raw(self, tag: int) -> bytes:
        """The whole TLV (tag and length included)."""
        begin = self.pos
        self.read(tag)
        return self.data[begin : self.pos]

    def oid(self) -> str:
        return _oid(self.value(_OID))

    def integer(self) -> int:
        value = self.value(_INTEGER)
        if not value or (
            len(value) > 1 and ((value[0] == 0 and value[1] < 0x80) or (value[0] == 0xFF and value[1] >= 0x80))
        ):
            raise Unsupported("integer not minimal")
        return int.from_bytes(value, "big", signed=True)

    def boolean(self) -> bool:
        value = self.value(_BOOLEAN)
        if value not in (b"\x00", b"\xff"):
            raise Unsupported("boolean not DER")
        return value == b"\xff"

    def bit_string(self) -> bytes:
        value = self.value(_BIT_STRING)
        if not value or value[0] > 7 or (value[0] and (len(value) == 1 or value[-1] & ((1 << value[0]) - 1))):
            raise Unsupported("bit string not DER")
        return value

    def finish(self) -> None:
        if not self.done():
            raise Unsupported("unexpected data")


def _oid(value: bytes) -> str:
    if not value or value[-1] & 0x80:
        raise Unsupported("bad OID")
    arcs: list[int] = []
    n = 0
    fresh = True
    for byte in value:
        if fresh and byte == 0x80:
            raise Unsupported("OID arc not minimal")
        n = (n << 7) | (byte & 0x7F)
        fresh = not byte & 0x80
        if fresh:
            arcs.append(n)
            n = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in (first, arcs[0] - 40 * first, *arcs[1:]))


def _ascii(value: bytes) -> str:
    if not value.isascii():
        raise Unsupported("not ASCII")
    return value.decode("ascii")


def _string(tag: int, value: bytes) -> str:
    if tag == _UTF8:
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise Unsupported("bad UTF-8") from None
    if tag == _PRINTABLE and not set(value) - _PRINTABLE_CHARS:
        return value.decode("ascii")
    if tag == _IA5:
        return _ascii(value)
    raise Unsupported(f"string type {tag:#x}")


def _time(reader: _Reader) -> _dt.datetime:
    tag = reader.peek()
    if tag == _UTC_TIME:
        text = _ascii(reader.value(_UTC_TIME))
        if len(text) != 13 or not text[:12].isdigit() or text[12] != "Z":
            raise Unsupported("UTCTime not DER")
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    elif tag == _GENERALIZED_TIME:
        text = _ascii(reader.value(_GENERALIZED_TIME))
        if len(text) != 15 or not text[:14].isdigit() or text[14] != "Z":
            raise Unsupported("GeneralizedTime not DER")
    else:
        raise Unsupported("not a time")
    try:
        return _dt.datetime(
            int(text[:4]),
            int(text[4:6]),
            int(text[6:8]),
            int(text[8:10]),
            int(text[10:12]),
            int(text[12:14]),
            tzinfo=_dt.UTC,
        )
    except ValueError:
        raise Unsupported("no such date") from None


# -- the structures -------------------------------------------------------------------------------
def _name(reader: _Reader) -> list[tuple[str, str]]:
    """An X.501 Name as (OID, value) pairs in DER order; single-valued RDNs only."""
    name = reader.inner(_SEQUENCE)
    out: list[tuple[str, str]] = []
    while not name.done():
        rdn = name.inner(_SET)
        attribute = rdn.inner(_SEQUENCE)
        rdn.finish()
        oid = attribute.oid()
        tag = attribute.peek()
        if tag is None:
            raise Unsupported("attribute without a value")
        value = _string(tag, attribute.value(tag))
        attribute.finish()
        low, high = _LENGTH_LIMITS.get(oid, (1, 1 << 16))
        if not low <= len(value.encode("utf-8")) <= high:
            raise Unsupported("attribute length out of cryptography's limits")
        out.append((oid, value))
    return out


def _escape(value: str) -> str:
    """An RFC 4514 attribute value, escaped exactly as `cryptography` escapes it."""
    for char, escaped in (("\\", "\\\\"), ('"', '\\"'), ("+", "\\+"), (",", "\\,"), (";", "\\;")):
        value = value.replace(char, escaped)
    value = value.replace("<", "\\<").replace(">", "\\>").replace("\0", "\\00")
    if value[0] == "#" or (value[0] == " " and len(value) > 1):
        value = "\\" + value
    if value[-1] == " ":
        value = value[:-1] + "\\ "
    return value


def _rfc4514(name: list[tuple[str, str]]) -> str:
    return ",".join(f"{_ATTRIBUTE_NAMES.get(oid, oid)}={_escape(value)}" for oid, value in reversed(name))


def _common_name(name: list[tuple[str, str]]) -> str | None:
    values = [value for oid, value in name if oid == _COMMON_NAME]
    return values[-1] if values else None


def _algorithm(raw: bytes) -> str:
    """A signature AlgorithmIdentifier: its OID, with parameters absent or NULL."""
    alg = _Reader(raw).inner(_SEQUENCE)
    oid = alg.oid()
    if not alg.done() and alg.value(_NULL):
        raise Unsupported("NULL with content")
    alg.finish()
    return oid


def _key(reader: _Reader) -> tuple[str, int, str | None]:
    spki = reader.inner(_SEQUENCE)
    alg = spki.inner(_SEQUENCE)
    kind = alg.oid()
    bits = spki.bit_string()
    spki.finish()
    if bits[0]:
        raise Unsupported("key with unused bits")
    if kind == _RSA_KEY:
        if alg.value(_NULL):
            raise Unsupported("NULL with content")
        alg.finish()
        key = _Reader(bits, 1).inner(_SEQUENCE)
        n, e = key.integer(), key.integer()
        key.finish()
        if n.bit_length() < 512 or n.bit_length() > 16384 or not n & 1 or e < 3 or not e & 1 or e >= n:
            raise Unsupported("an RSA key cryptography might refuse")
        return "RSA", n.bit_length(), None
    if kind == _EC_KEY:
        curve = _CURVES.get(alg.oid())
        alg.finish()
        if curve is None:
            raise Unsupported("curve")
        name, size, p, b = curve
        width = (size + 7) // 8
        point = bits[1:]
        if len(point) != 1 + 2 * width or point[0] != 4:
            raise Unsupported("not an uncompressed point")
        x, y = int.from_bytes(point[1 : 1 + width], "big"), int.from_bytes(point[1 + width :], "big")
        if not (x < p and y < p and (y * y - (x * x * x - 3 * x + b)) % p == 0):
            raise Unsupported("point not on its curve")
        return "EC", size, name
    raise Unsupported(f"key type {kind}")


def _general_names(reader: _Reader) -> list[tuple[int, str]]:
    """GeneralNames as (context tag number, text): DNS names, e-mail addresses, URIs and IP addresses only."""
    names: list[tuple[int, str]] = []
    while not reader.done():
        tag = reader.peek()
        if tag in (0x81, 0x82, 0x86):  # rfc822Name, dNSName, uniformResourceIdentifier
            names.append((tag & 0x1F, _ascii(reader.value(tag))))
        elif tag == 0x87:  # iPAddress
            value = reader.value(0x87)
            if len(value) not in (4, 16):
                raise Unsupported("IP address length")
            names.append((7, str(ipaddress.ip_address(value))))
        else:
            raise Unsupported("general name type")
    return names


def _sequence_of(value: bytes) -> _Reader:
    reader = _Reader(value)
    inner = reader.inner(_SEQUENCE)
    reader.finish()
    if inner.done():
        raise Unsupported("empty SEQUENCE OF")
    return inner


def _extensions(reader: _Reader, fields: dict[str, Any]) -> None:
    seen: set[str] = set()
    extensions = _sequence_of(reader.value(0xA3))
    while not extensions.done():
        ext = extensions.inner(_SEQUENCE)
        oid = ext.oid()
        if oid in seen:
            raise Unsupported("duplicate extension")
        seen.add(oid)
        if ext.peek() == _BOOLEAN and not ext.boolean():
            raise Unsupported("critical=FALSE written out")
        value = ext.value(_OCTET_STRING)
        ext.finish()
        _extension(oid, value, fields)


def _extension(oid: str, value: bytes, fields: dict[str, Any]) -> None:
    """Read (or only check) one extension's value; any extension not listed here is `Unsupported`."""
    if oid == "2.5.29.17":  # subjectAltName
        names = _general_names(_sequence_of(value))
        fields["san_dns"] = tuple(text for tag, text in names if tag == 2)
        fields["san_ip"] = tuple(text for tag, text in names if tag == 7)
    elif oid == "2.5.29.19":  # basicConstraints
        reader = _Reader(value)
        bc = reader.inner(_SEQUENCE)
        reader.finish()
        ca = False
        if bc.peek() == _BOOLEAN:
            ca = bc.boolean()
            if not ca:
                raise Unsupported("cA=FALSE written out")
        if not bc.done() and (not ca or bc.integer() < 0):
            raise Unsupported("a path length cryptography refuses")
        bc.finish()
        fields["is_ca"] = ca
    elif oid == "2.5.29.37":  # extendedKeyUsage
        eku = _sequence_of(value)
        usages = []
        while not eku.done():
            usage = eku.oid()
            usages.append(EKU_NAMES.get(usage, usage))
        fields["ext_key_usage"] = tuple(usages)
    elif oid == "1.3.6.1.5.5.7.1.1":  # authorityInfoAccess
        aia = _sequence_of(value)
        issuers, ocsp = [], []
        while not aia.done():
            desc = aia.inner(_SEQUENCE)
            method = desc.oid()
            location = _general_names(desc)
            if len(location) != 1 or location[0][0] != 6:
                raise Unsupported("access location not a URI")
            if method == _CA_ISSUERS:
                issuers.append(location[0][1])
            elif method == _OCSP:
                ocsp.append(location[0][1])
        fields["ca_issuers_urls"], fields["ocsp_urls"] = tuple(issuers), tuple(ocsp)
    elif oid == "2.5.29.15":  # keyUsage
        reader = _Reader(value)
        if len(reader.bit_string()) < 2:
            raise Unsupported("empty key usage")
        reader.finish()
    elif oid == "2.5.29.14":  # subjectKeyIdentifier
        reader = _Reader(value)
        reader.value(_OCTET_STRING)
        reader.finish()
    elif oid == "2.5.29.35":  # authorityKeyIdentifier: the key identifier alone
        reader = _Reader(value)
        aki = reader.inner(_SEQUENCE)
        reader.finish()
        aki.value(0x80)
        aki.finish()
    elif oid == "2.5.29.31":  # cRLDistributionPoints: full names that are URIs
        points = _sequence_of(value)
        while not points.done():
            point = points.inner(_SEQUENCE)
            where = point.inner(0xA0)
            full = where.inner(0xA0)
            where.finish()
            point.finish()
            uris = _general_names(full)
            if not uris or any(tag != 6 for tag, _ in uris):
                raise Unsupported("distribution point not a URI")
    elif oid == "2.5.29.32":  # certificatePolicies: policy OIDs, CPS URIs at most
        policies = _sequence_of(value)
        while not policies.done():
            policy = policies.inner(_SEQUENCE)
            policy.oid()
            if not policy.done():
                qualifiers = policy.inner(_SEQUENCE)
                if qualifiers.done():
                    raise Unsupported("empty qualifiers")
                while not qualifiers.done():
                    qualifier = qualifiers.inner(_SEQUENCE)
                    if qualifier.oid() != "1.3.6.1.5.5.7.2.1":
                        raise Unsupported("a qualifier other than a CPS URI")
                    _ascii(qualifier.value(_IA5))
                    qualifier.finish()
            policy.finish()
    elif oid == "1.3.6.1.4.1.11129.2.4.2":  # Certificate Transparency SCTs (RFC 6962 §3.3)
        reader = _Reader(value)
        _scts(reader.value(_OCTET_STRING))
        reader.finish()
    else:
        raise Unsupported(f"extension {oid}")


def _scts(data: bytes) -> None:
    """A TLS-encoded SignedCertificateTimestampList, checked the way `cryptography` parses it."""

    def take(pos: int, n: int) -> int:
        if pos + n > len(data):
            raise Unsupported("SCT list truncated")
        return pos + n

    def vector(pos: int, width: int) -> tuple[int, int]:
        end = take(pos, width)
        return end, take(end, int.from_bytes(data[pos:end], "big"))

    start, end = vector(0, 2)
    if end != len(data) or start == end:
        raise Unsupported("SCT list length")
    pos = start
    while pos < end:
        body, after = vector(pos, 2)
        if body + 1 > after or data[body] != 0:  # version v1
            raise Unsupported("SCT version")
        p = take(body + 1, 32 + 8)  # log id, timestamp
        _, p = vector(p, 2)  # extensions
        p = take(p, 2)
        if data[p - 2] != 4 or data[p - 1] not in (1, 3):  # SHA-256 with RSA or ECDSA, what logs use
            raise Unsupported("SCT algorithm")
        _, p = vector(p, 2)
        if p != after:
            raise Unsupported("SCT length")
        pos = after


def read_certificate(der: bytes) -> dict[str, Any]:
    """The `CertInfo` fields of a certificate of the common shape; `Unsupported` for anything else."""
    top = _Reader(der)
    cert = top.inner(_SEQUENCE)
    top.finish()
    tbs = cert.inner(_SEQUENCE)
    outer_algorithm = cert.raw(_SEQUENCE)
    signature = cert.bit_string()
    cert.finish()
    if signature[0]:
        raise Unsupported("signature with unused bits")

    version = 1
    if tbs.peek() == 0xA0:
        explicit = tbs.inner(0xA0)
        number = explicit.integer()
        explicit.finish()
        if number != 2:  # v1 is never written out in DER, v2 is rare
            raise Unsupported("version")
        version = 3
    serial = tbs.integer()
    if serial <= 0 or serial.bit_length() > 160:
        raise Unsupported("serial number cryptography might warn about")
    if tbs.raw(_SEQUENCE) != outer_algorithm:
        raise Unsupported("inner and outer signature algorithms differ")
    signature_name, signature_hash = _SIGNATURES.get(_algorithm(outer_algorithm), ("", ""))
    if not signature_name:
        raise Unsupported("signature algorithm")
    issuer = _name(tbs)
    validity = tbs.inner(_SEQUENCE)
    not_before, not_after = _time(validity), _time(validity)
    validity.finish()
    subject = _name(tbs)
    if subject == issuer:
        raise Unsupported("self-issued: whether it signed itself takes a signature check")
    key_type, key_bits, key_curve = _key(tbs)
    fields: dict[str, Any] = {}
    if not tbs.done():
        if version != 3:
            raise Unsupported("extensions in a version 1 certificate")
        _extensions(tbs, fields)
    tbs.finish()

    serial_hex = format(serial, "x")
    serial_hex = "0" * (len(serial_hex) % 2) + serial_hex
    return {
        "subject": _rfc4514(subject),
        "subject_cn": _common_name(subject),
        "issuer": _rfc4514(issuer),
        "issuer_cn": _common_name(issuer),
        "serial": ":".join(serial_hex[i : i + 2] for i in range(0, len(serial_hex), 2)).upper(),
        "not_before": not_before,
        "not_after": not_after,
        "san_dns": fields.get("san_dns", ()),
        "san_ip": fields.get("san_ip", ()),
        "key_type": key_type,
        "key_bits": key_bits,
        "key_curve": key_curve,
        "signature_algorithm": signature_name,
        "signature_hash": signature_hash,
        "self_issued": False,
        "self_signed": False,
        "is_ca": fields.get("is_ca", False),
        "ext_key_usage": fields.get("ext_key_usage", ()),
        "ca_issuers_urls": fields.get("ca_issuers_urls", ()),
        "ocsp_urls": fields.get("ocsp_urls", ()),
        "sha256": hashlib.sha256(der).digest().hex(":").upper(),
        "version": version,
    }
