"""Findings only a saved message can show: tricks in its From header and its DKIM l= tag.

Both are ways a message can pass DKIM and DMARC while showing the reader
something nobody authenticated: a From header naming two domains (DMARC judges
one, the mail program may display the other; RFC 7489 §6.6.1), and a signature
whose l= tag covers only the start of the body, so anything appended after
signing still verifies (RFC 6376 §8.2).
"""

from smtpkit.knowledge.catalogue import FindingSpec

SPECS = [
    FindingSpec(
        code="dmarc.from_ambiguous",
        severity="fail",
        step="dmarc",
        title="The From header names more than one domain: {domains}",
        explanation=(
            "DMARC protects exactly one domain, the one in the message's single From address. This message has "
            "{how}, so it names the domains {domains}. A receiver can only evaluate DMARC for one of them, while "
            "the reader's mail program may display another: that is a known way to pass DMARC with one domain and "
            "impersonate a second. RFC 5322 allows one From header, and RFC 7489 §6.6.1 lets receivers reject such "
            "messages outright; many (Gmail, Microsoft 365) do. We do not report a DMARC pass for it."
        ),
        fix=(
            "If you sent this message, make your system write exactly one From header with one address "
            "(From: Name <you@{first_domain}>); put other people in Reply-To or Cc instead. If you received it, "
            "treat it as suspect: the domain you see may not be the one that was authenticated."
        ),
        reference="RFC 7489 §6.6.1; RFC 5322 §3.6",
    ),
    FindingSpec(
        code="dkim.body_length_limit",
        severity="warn",
        step="dkim",
        title="Signature {index} (d={domain}) covers only the first {length} bytes of the body",
        explanation=(
            "This DKIM signature carries the l= tag, which limits the body hash to its first {length} bytes. "
            "The body here is {body_bytes} bytes after canonicalisation, so {unsigned} bytes at the end are not "
            "covered: anyone who relays the message can append text, links or attachments there and the "
            "signature still verifies. DMARC then vouches for content d={domain} never signed. RFC 6376 §8.2 "
            "warns against l= for this reason, and some receivers ignore or distrust such signatures."
        ),
        fix=(
            "Sign the whole body: remove the body-length option from your signer (OpenDKIM: no BodyLengths / "
            "BodyLengthDB; rspamd dkim_signing: do not set use_body_length; dkimpy: sign without length=True). "
            "If you received this message, read the part after the first {length} bytes as unauthenticated."
        ),
        reference="RFC 6376 §3.5 (l=), §8.2",
    ),
]
