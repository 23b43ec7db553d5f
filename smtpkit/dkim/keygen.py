"""DKIM key generation for people setting DKIM up by hand (Postfix + OpenDKIM, rspamd, an app).

What goes wrong in practice is rarely the key itself but its publication: a
2048-bit key does not fit in one 255-byte TXT string, DNS panels cut it off, and
private keys end up world-readable. So this module returns the record already
split into 255-byte character-strings, as a zone-file line and as the bare
value a web panel wants, and writes the private key with 0600 permissions
without ever overwriting an existing key.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from smtpkit.dkim.record import MIN_RSA_BITS

ALLOWED_RSA_BITS = (1024, 2048, 3072, 4096)
TXT_STRING_MAX = 255


@dataclass(frozen=True)
class GeneratedKey:
    """A new DKIM key pair and the DNS record that publishes its public half.

    `private_key` is the file content a signer loads: PKCS#1 PEM for RSA (what
    OpenDKIM, rspamd and dkimpy read), the base64 32-byte seed for Ed25519 (what
    dkimpy and OpenDKIM 2.11 read). It is kept out of `repr` so that printing
    the object in a notebook does not show the key.
    """

    domain: str
    selector: str
    algorithm: str
    bits: int
    txt_name: str
    txt_value: str
    private_key: bytes

    def __repr__(self) -> str:
        return (
            f"GeneratedKey(domain={self.domain!r}, selector={self.selector!r}, algorithm={self.algorithm!r}, "
            f"bits={self.bits}, txt_name={self.txt_name!r}, private_key=<{len(self.private_key)} bytes, not shown>)"
        )

    @property
    def txt_strings(self) -> list[str]:
        return split_txt(self.txt_value)

    def zone_line(self, ttl: int = 3600) -> str:
        """The BIND zone-file line, each 255-byte piece quoted: paste it as is."""
        quoted = " ".join(f'"{s}"' for s in self.txt_strings)
        return f"{self.txt_name}. {ttl} IN TXT ( {quoted} )"

    @property
    def private_key_filename(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}.private"


def split_txt(value: str, size: int = TXT_STRING_MAX) -> list[str]:
    """Split a TXT value into character-strings of at most `size` bytes (RFC 1035 §3.3).

    Receivers join the strings with nothing in between (RFC 6376 §3.6.2.2), so
    the split can fall anywhere; ASCII only, so characters and bytes agree.
    """
    if size < 1:
        raise ValueError("size must be positive")
    return [value[i : i + size] for i in range(0, len(value), size)] or [""]


def generate(domain: str, selector: str, *, algorithm: str = "rsa", bits: int = 2048) -> GeneratedKey:
    """Make a key pair; RSA 2048 by default (RFC 8301 floor is 1024, 2048 is recommended).

    The domain and selector are checked as DNS names by the settings validators
    (InvalidSettings, a ValueError, naming the field): they become the TXT name,
    a zone-file line and the key's file names, so a newline or a ``/`` in them
    would split the zone line or put the private key outside its folder.
    """
    from smtpkit.settings import validate_domain, validate_selector

    domain = validate_domain(domain, field="domain")
    selector = validate_selector(selector, field="selector")
    algorithm = algorithm.lower()
    if algorithm == "rsa":
        if bits not in ALLOWED_RSA_BITS:
            raise ValueError(
                f"RSA key size {bits} is not offered; choose one of {', '.join(map(str, ALLOWED_RSA_BITS))} "
                f"(under {MIN_RSA_BITS} bits receivers ignore the key; 2048 is the recommended size)"
            )
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        private = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        value = f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode('ascii')}"
    elif algorithm == "ed25519":
        bits = 256
        ekey = ed25519.Ed25519PrivateKey.generate()
        seed = ekey.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        private = base64.b64encode(seed) + b"\n"
        public = ekey.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        value = f"v=DKIM1; k=ed25519; p={base64.b64encode(public).decode('ascii')}"
    else:
        raise ValueError(f"algorithm {algorithm!r} is not rsa or ed25519")
    return GeneratedKey(
        domain=domain,
        selector=selector,
        algorithm=algorithm,
        bits=bits,
        txt_name=f"{selector}._domainkey.{domain}",
        txt_value=value,
        private_key=private,
    )


def _file_in(folder: Path, name: str) -> Path:
    """`folder / name`, refusing a name that is not one plain file name (the names come from DNS names)."""
    if not name or name != Path(name).name or name in (".", "..") or any(c in name for c in "\0\r\n/\\"):
        raise ValueError(f"{name!r} is not a plain file name")
    return folder / name


def write_private_key(key: GeneratedKey, directory: str | os.PathLike[str], *, create: bool = False) -> Path:
    """Write the private key readable by its owner only; never overwrite an existing file.

    The file is created with mode 0600 in the same `open` call (O_EXCL), so there
    is no moment where it exists with wider permissions, whatever the umask.
    A missing `directory` is an error (FileNotFoundError) unless `create=True`
    (then it is made, mode 0700): a typo in a path must not silently become a
    new folder tree holding a private key.
    """
    folder = Path(directory)
    if create:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    elif not folder.is_dir():
        raise FileNotFoundError(f"{folder} does not exist (or is not a directory)")
    path = _file_in(folder, key.private_key_filename)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, key.private_key)
    finally:
        os.close(fd)
    return path


def write_public_record(key: GeneratedKey, directory: str | os.PathLike[str]) -> Path:
    """Write the zone-file line next to the key (public data), replacing an older copy."""
    path = _file_in(Path(directory), f"{key.selector}._domainkey.{key.domain}.txt")
    # never through a symbolic link someone left at that name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key.zone_line() + "\n")
    return path
