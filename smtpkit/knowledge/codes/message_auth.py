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
            "DMARC checks one domain: the one in the message's From address. This message has {how}, naming "
            "{domains}. A receiver can check DMARC for only one of them, while the recipient's mail program may "
            "show the other: an old trick to pass DMARC with one domain while looking like another. The mail "
            "standard (RFC 5322) allows exactly one From header, and DMARC (RFC 7489 §6.6.1) lets receivers "
            "refuse such messages; Gmail, for one, rejects mail with several From headers. So we do not count "
            "this as a DMARC pass."
        ),
        fix=(
            "If you sent this message: write exactly one From header with one address, for example "
            "`From: Your Name <you@{first_domain}>`, and put anyone else in Reply-To, To or Cc. A second From "
            "usually comes from code that sets the header twice: in Python's email.message.Message, "
            "`msg['From'] = ...` adds another header each time, so run `del msg['From']` before setting it; in "
            "PHPMailer, call setFrom() once and addReplyTo() for the others. If you received this message: treat "
            "it as suspect, because the address you see may not be the one that was checked."
        ),
        reference="RFC 7489 §6.6.1; RFC 5322 §3.6",
    ),
    FindingSpec(
        code="dkim.body_length_limit",
        severity="warn",
        step="dkim",
        title="Signature {index} (d={domain}) signs only the first {length} bytes of the body",
        explanation=(
            "This DKIM signature has the l= tag, so it vouches only for the first {length} bytes of the message "
            "body. The body here is {body_bytes} bytes, so {unsigned} bytes at the end are not covered by the "
            "signature: anyone who handles the message on its way can add text, links or attachments there and "
            "the signature still checks out, and DMARC then passes for content that d={domain} never signed. "
            "RFC 6376 §8.2 warns against l= for this reason, and some receivers ignore such signatures."
        ),
        fix=(
            "Sign the whole body: switch off the body-length option in your signer. OpenDKIM: remove the "
            "BodyLengthDB line from opendkim.conf and restart it. Python dkimpy: call dkim.sign() without "
            "length=True (the default is False). Other signers: look for a setting named body length, l= or "
            "length. Then send a new test message and check that its DKIM-Signature header has no l= tag. If you "
            "received this message, treat anything after the first {length} bytes of the body as unverified."
        ),
        reference="RFC 6376 §3.5 (l=), §8.2",
    ),
]
