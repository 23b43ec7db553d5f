"""The lab's DKIM keys and signer: correctly signed mail for smtpkit.test.

Why the lab signs: DKIM is easiest to understand by watching a signature pass,
then breaking it (change the body, change the Subject, revoke the key) and
reading what the verifier says. The lab publishes the public halves in
``lab._domainkey.smtpkit.test`` (RSA 2048) and
``lab-ed25519._domainkey.smtpkit.test`` (Ed25519, RFC 8463), and keeps the
private halves here.

Keys are made once per process (RSA 2048 costs about 50-110 ms on a laptop,
so per-lab-start generation would be affordable, but one set per process
keeps every lab started in a test session consistent). A lab served by one
process and a notebook kernel in another must share keys: set
``SMTPKIT_LAB_DKIM_DIR`` to a directory and both load (or the first one
creates) the keys there, with 0600 private files. The signing itself is
dkimpy's; no cryptography is hand-written here.
"""

from __future__ import annotations

import base64
import email.message
import email.utils
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

__all__ = [
    "DKIM_DOMAIN",
    "ED25519_SELECTOR",
    "RSA_SELECTOR",
    "DkimKeys",
    "example_message",
    "lab_keys",
    "sign_message",
    "use_lab_keys",
]

DKIM_DOMAIN = "smtpkit.test"
RSA_SELECTOR = "lab"
ED25519_SELECTOR = "lab-ed25519"
ENV_DIR = "SMTPKIT_LAB_DKIM_DIR"
_RSA_FILE = "lab.rsa.pem"
_ED_FILE = "lab-ed25519.key"

# Headers a receiver's verdict depends on; signing them stops replay with a new Subject or To.
DEFAULT_SIGNED_HEADERS = (
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
)


@dataclass(frozen=True)
class DkimKeys:
    """A lab key pair set. `rsa_pem` is PKCS#1 PEM (what dkimpy reads); `ed25519_seed` the 32-byte secret."""

    rsa_pem: bytes
    ed25519_seed: bytes

    def __repr__(self) -> str:  # private keys stay out of reprs, logs and notebooks
        return f"DkimKeys(rsa={self.rsa_bits} bits, ed25519, public {self.rsa_public_b64()[:16]}...)"

    @classmethod
    def generate(cls, rsa_bits: int = 2048) -> DkimKeys:
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
        pem = rsa_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
        seed = ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return cls(pem, seed)

    @property
    def rsa_bits(self) -> int:
        key = serialization.load_pem_private_key(self.rsa_pem, password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key.key_size

    def rsa_public_b64(self) -> str:
        """The ``p=`` value: base64 of the DER SubjectPublicKeyInfo (RFC 6376 §3.6.1)."""
        key = serialization.load_pem_private_key(self.rsa_pem, password=None)
        der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return base64.b64encode(der).decode("ascii")

    def ed25519_public_b64(self) -> str:
        """The ``p=`` value for k=ed25519: base64 of the raw 32-byte public key (RFC 8463 §4)."""
        pub = ed25519.Ed25519PrivateKey.from_private_bytes(self.ed25519_seed).public_key()
        return base64.b64encode(pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()

    def txt_records(self) -> dict[str, str]:
        """Selector -> the TXT record text to publish at ``<selector>._domainkey.smtpkit.test``."""
        return {
            RSA_SELECTOR: f"v=DKIM1; k=rsa; p={self.rsa_public_b64()}",
            ED25519_SELECTOR: f"v=DKIM1; k=ed25519; p={self.ed25519_public_b64()}",
        }

    def save(self, directory: str | Path) -> None:
        """Write both private keys with 0600 permissions (created that way, never world-readable)."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for name, data in ((_RSA_FILE, self.rsa_pem), (_ED_FILE, base64.b64encode(self.ed25519_seed) + b"\n")):
            target = path / name
            tmp = path / f".{name}.{os.getpid()}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)  # atomic: a concurrent reader sees the old file or the new one

    @classmethod
    def load(cls, directory: str | Path) -> DkimKeys:
        path = Path(directory)
        pem = (path / _RSA_FILE).read_bytes()
        seed = base64.b64decode((path / _ED_FILE).read_bytes().strip(), validate=True)
        if len(seed) != 32 or b"BEGIN RSA PRIVATE KEY" not in pem:
            raise ValueError(f"{path} does not hold lab DKIM keys ({_RSA_FILE} PKCS#1 PEM, {_ED_FILE} base64 seed)")
        return cls(pem, seed)


_lock = threading.Lock()
_keys: DkimKeys | None = None


def lab_keys() -> DkimKeys:
    """The process's lab keys: loaded from $SMTPKIT_LAB_DKIM_DIR, or made once (and saved there if set)."""
    global _keys
    with _lock:
        if _keys is None:
            directory = os.environ.get(ENV_DIR)
            if directory and (Path(directory) / _RSA_FILE).exists():
                _keys = DkimKeys.load(directory)
            else:
                _keys = DkimKeys.generate()
                if directory:
                    _keys.save(directory)
        return _keys


def use_lab_keys(keys: DkimKeys) -> None:
    """Adopt keys made elsewhere (a lab running in another process) for signing and for new zone sets."""
    global _keys
    with _lock:
        _keys = keys


def sign_message(
    msg: bytes | str,
    *,
    selector: str = RSA_SELECTOR,
    keys: DkimKeys | None = None,
    headers: tuple[str, ...] | None = None,
) -> bytes:
    """Return `msg` with a DKIM-Signature (d=smtpkit.test, s=`selector`, relaxed/relaxed) prepended.

    Line endings are normalised to CRLF first, as they will be on the wire;
    signing a bare-LF file and sending it as CRLF would otherwise look like
    tampering to some verifiers.
    """
    keys = keys or lab_keys()
    raw = msg.encode("utf-8") if isinstance(msg, str) else bytes(msg)
    raw = re.sub(rb"\r?\n", b"\r\n", raw)
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    if not re.search(rb"(?im)^from:", header_block):
        raise ValueError("the message has no From: header; DKIM must sign From (RFC 6376 §5.4), so add one first")
    present = {m.lower() for m in re.findall(rb"(?m)^([!-9;-~]+):", header_block)}
    wanted = headers or DEFAULT_SIGNED_HEADERS
    include = [h.encode() for h in wanted if h.lower().encode() in present]
    if selector == RSA_SELECTOR:
        algorithm, private = b"rsa-sha256", keys.rsa_pem
    elif selector == ED25519_SELECTOR:
        algorithm, private = b"ed25519-sha256", base64.b64encode(keys.ed25519_seed)
    else:
        raise ValueError(f"the lab publishes selectors {RSA_SELECTOR!r} and {ED25519_SELECTOR!r}, not {selector!r}")
    signature = dkim.sign(
        raw,
        selector.encode(),
        DKIM_DOMAIN.encode(),
        private,
        signature_algorithm=algorithm,
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=include,
    )
    return bytes(signature) + raw


def example_message(
    from_addr: str = "alice@smtpkit.test",
    to_addr: str = "bob@smtpkit.test",
    subject: str = "Hello from the smtpkit lab",
    body: str = "This message was signed by the practice lab with d=smtpkit.test.\n",
) -> bytes:
    """An ordinary, unsigned RFC 5322 message to feed `sign_message` (CRLF line endings)."""
    msg = email.message.EmailMessage()
    msg["From"] = from_addr
    msg["To"] = to_addr
    msg["Subject"] = subject
    msg["Date"] = email.utils.formatdate(localtime=False)
    msg["Message-ID"] = email.utils.make_msgid(domain=DKIM_DOMAIN)
    msg.set_content(body)
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
