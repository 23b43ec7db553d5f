"""Hostile DKIM public keys, built byte by byte (DER), for the tests of every path that reads a key.

`cryptography` cannot *make* most of these (an RSA key whose exponent is as long
as a small key's modulus, an SPKI naming an algorithm nobody knows), which is
exactly why a DNS record can carry them.
"""

from __future__ import annotations

import base64

RSA_OID = bytes.fromhex("2a864886f70d010101")  # 1.2.840.113549.1.1.1 rsaEncryption
EC_OID = bytes.fromhex("2a8648ce3d0201")  # 1.2.840.10045.2.1 id-ecPublicKey


def der(tag: int, value: bytes) -> bytes:
    n = len(value)
    if n < 128:
        length = bytes([n])
    else:
        size = (n.bit_length() + 7) // 8
        length = bytes([0x80 | size]) + n.to_bytes(size, "big")
    return bytes([tag]) + length + value


def der_int(x: int) -> bytes:
    return der(2, x.to_bytes(x.bit_length() // 8 + 1, "big"))


def rsa_spki(n: int, e: int) -> bytes:
    """A SubjectPublicKeyInfo holding the RSA key (n, e), whatever their sizes."""
    algorithm = der(0x30, der(6, RSA_OID) + b"\x05\x00")
    return der(0x30, algorithm + der(3, b"\x00" + der(0x30, der_int(n) + der_int(e))))


def rsa_pkcs1(n: int, e: int) -> bytes:
    """The bare PKCS#1 RSAPublicKey some signers publish instead of an SPKI."""
    return der(0x30, der_int(n) + der_int(e))


def spki(algorithm_oid: bytes, parameters: bytes = b"\x05\x00", key: bytes = b"\x00\x01\x02\x03") -> bytes:
    """A SubjectPublicKeyInfo with any algorithm OID (encoded content bytes) and parameters."""
    return der(0x30, der(0x30, der(6, algorithm_oid) + parameters) + der(3, b"\x00" + key))


def ec_spki(curve_oid: bytes) -> bytes:
    """An EC public key on the named curve (any OID), with a point of the right shape for P-256."""
    return spki(EC_OID, der(6, curve_oid), b"\x04" + b"\x01" * 64)


def record(der_bytes: bytes, k: str = "rsa") -> str:
    """The DKIM key record publishing `der_bytes`."""
    return f"v=DKIM1; k={k}; p={base64.b64encode(der_bytes).decode('ascii')}"


def prime_like(bits: int) -> int:
    """An odd number of exactly `bits` bits (a modulus need not be a product of primes to be parsed)."""
    return (1 << (bits - 1)) | 0xB5
