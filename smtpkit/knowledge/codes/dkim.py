"""DKIM findings: the key record at `<selector>._domainkey.<domain>` and message signatures.

Texts follow RFC 6376 (DKIM), RFC 8301 (key sizes and algorithms) and RFC 8463
(Ed25519). Fixes show the record to publish, because the usual DKIM failure is
a key pasted into the wrong place, cut off, or never published.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

_PROVIDER_KEYS = (
    "Google Workspace: Admin console > Apps > Google Workspace > Gmail > Authenticate email, generate the key, "
    "publish the TXT it shows, then press Start authentication. Microsoft 365: Defender portal > Email & "
    "collaboration > Policies > Email authentication settings > DKIM, publish the two CNAMEs "
    "selector1._domainkey and selector2._domainkey it gives, then enable signing. Amazon SES, SendGrid, "
    "Mailgun, Postmark: the domain verification page lists the CNAME or TXT records to create."
)

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="dkim.key_missing",
        severity=Severity.FAIL,
        step="dkim",
        title="No DKIM key is published for selector {selector}",
        explanation=(
            "Receivers check a DKIM signature with s={selector} and d={domain} by fetching the public key from the "
            "TXT record at {name}. That lookup returned {status}{via}, so every message signed with this selector "
            "fails DKIM with a permanent error, exactly as if it were not signed, and DMARC cannot pass through DKIM."
        ),
        fix=(
            "Publish the public key as a TXT record named {name} (in most DNS panels the host field is "
            '{host}), value: "v=DKIM1; k=rsa; p=<the public key from your mail system>". '
        )
        + _PROVIDER_KEYS
        + " If you sign mail yourself (OpenDKIM, rspamd), make a key pair with "
        "`smtpkit dkim keygen --domain {domain} --selector {selector}` and publish the record it prints.",
        reference="RFC 6376 §3.6.2.2",
    ),
    FindingSpec(
        code="dkim.key_revoked",
        severity=Severity.FAIL,
        step="dkim",
        title="The DKIM key for selector {selector} is revoked (empty p=)",
        explanation=(
            "The record at {name} has an empty p= tag. RFC 6376 §3.6.1 defines that as a revoked key: receivers "
            "fail every signature made with selector {selector}. This is correct after a key rotation, but wrong "
            "if your mail system still signs with this selector."
        ),
        fix=(
            "If your mail system still signs with s={selector}, publish its current public key: "
            '{name} TXT "v=DKIM1; k=rsa; p=<public key>" (copy it again from your provider\'s DKIM page). '
            "If you rotated to a new selector, make sure the signer uses the new one (check the s= of a "
            "DKIM-Signature in a message you sent) and leave this revoked record in place."
        ),
        reference="RFC 6376 §3.6.1 (p=), §6.1.2",
    ),
    FindingSpec(
        code="dkim.key_invalid",
        severity=Severity.FAIL,
        step="dkim",
        title="The DKIM key record for selector {selector} is not usable",
        explanation=(
            "The TXT record at {name} is not a DKIM key receivers can use: {problem}. Receivers treat every "
            "signature that needs it as a permanent error, the same as having no key. The usual cause is a "
            "copy-paste that cut the key off, split a long key into two TXT records instead of two strings of one "
            "record, or added quotes or spaces inside the value."
        ),
        fix=(
            "Republish the record exactly as your provider or key generator gives it, as ONE TXT record at {name}: "
            '"v=DKIM1; k=rsa; p=<the full base64 key, no spaces>". A 2048-bit key is longer than 255 characters: '
            "zone files split it into several quoted strings inside the same record "
            '("v=DKIM1; k=rsa; p=MIIBIjAN..." "...IDAQAB"), and most DNS panels do that for you when you paste '
            "the whole value into one field. Check with `smtpkit domain {domain} --selector {selector}`."
        ),
        reference="RFC 6376 §3.6.1",
    ),
    FindingSpec(
        code="dkim.key_too_short",
        severity=Severity.FAIL,
        step="dkim",
        title="The DKIM key for selector {selector} is only {bits} bits",
        explanation=(
            "The RSA key at {name} is {bits} bits. RFC 8301 forbids receivers to accept keys under 1024 bits, "
            "so Gmail, Microsoft and Yahoo ignore signatures made with them; 1024-bit keys still verify but are "
            "considered weak, and 2048 bits is the size every large mailbox provider recommends."
        ),
        fix=(
            "Rotate to a 2048-bit key under a NEW selector (changing the key in place breaks mail in flight): "
            "generate it in your provider's DKIM settings (Google Workspace lets you choose 2048 bits; Microsoft 365 "
            "'Rotate DKIM keys' moves to 2048) or run `smtpkit dkim keygen --domain {domain} --selector "
            "{new_selector}`, publish the TXT it prints, switch your signer to s={new_selector}, and after a week "
            'revoke the old key with: {name} TXT "v=DKIM1; p=".'
        ),
        reference="RFC 8301 §3.2",
    ),
    FindingSpec(
        code="dkim.testing_mode",
        severity=Severity.WARN,
        step="dkim",
        title="The DKIM key for selector {selector} is in testing mode (t=y)",
        explanation=(
            "The record at {name} carries t=y, which says the domain is only testing DKIM. RFC 6376 tells "
            "receivers not to treat messages signed in testing mode differently from unsigned mail, so your "
            "signatures earn you no trust, and some receivers ignore them for DMARC."
        ),
        fix='When your signatures verify, remove t=y and publish: {name} TXT "{corrected}"',
        reference="RFC 6376 §3.6.1 (t=)",
    ),
    FindingSpec(
        code="dkim.key_lookup_failed",
        severity=Severity.WARN,
        step="dkim",
        title="The DKIM key lookup for selector {selector} did not get an answer",
        explanation=(
            "Looking up {name} ended with {status}: {error}. A receiver seeing the same thing gives the signature a "
            "temporary error (temperror) and may defer or spam-folder the message; we cannot say whether the key "
            "is correct."
        ),
        fix=(
            "Check that your domain's authoritative nameservers all answer (`dig +norec TXT {name} @<each NS>`), "
            "that none of them blocks TXT queries or large UDP answers (a 2048-bit key needs EDNS or TCP), then run "
            "the check again."
        ),
        reference="RFC 6376 §6.1.2",
    ),
    FindingSpec(
        code="dkim.no_selector_found",
        severity=Severity.WARN,
        step="dkim",
        title="No DKIM key found at any common selector of {domain}",
        explanation=(
            "DKIM keys live at <selector>._domainkey.{domain}, and DNS cannot list selectors, so we asked for "
            "{count} common ones ({tried}) and none has a key. That does not prove you have no DKIM: your provider "
            "may use another selector name. But if you do not sign at all, receivers have only SPF to judge your "
            "mail, forwarding breaks it, and Gmail and Yahoo require DKIM from bulk senders."
        ),
        fix=(
            "Open a message you sent (Gmail: Show original; Outlook: View message source), find the line "
            "DKIM-Signature: ... d=<domain>; s=<selector>; and run `smtpkit domain {domain} --selector <selector>`. "
            "If there is no DKIM-Signature, turn signing on. "
        )
        + _PROVIDER_KEYS,
        reference="RFC 6376 §3.1",
    ),
    FindingSpec(
        code="dkim.no_signature",
        severity=Severity.FAIL,
        step="dkim",
        title="The message has no DKIM signature",
        explanation=(
            "There is no DKIM-Signature header in this message, so receivers cannot tie it to your domain "
            "cryptographically: DMARC can only pass through SPF, which breaks when mail is forwarded, and Gmail, "
            "Yahoo and Microsoft require DKIM from bulk senders. If the message was signed when it left, the "
            "signature was removed on the way, or you are looking at a copy saved before signing (the Sent folder "
            "of your client holds the unsigned copy)."
        ),
        fix=(
            "Turn on DKIM signing where the mail leaves your systems, then test with a copy as received (Gmail: "
            "Show original > Download original). "
        )
        + _PROVIDER_KEYS
        + " Postfix: add OpenDKIM or rspamd as a milter and publish the key `smtpkit dkim keygen` makes.",
        reference="RFC 6376 §3.5",
    ),
    FindingSpec(
        code="dkim.body_hash_mismatch",
        severity=Severity.FAIL,
        step="dkim",
        title="DKIM signature {index} (d={d}, s={s}): the body changed after signing",
        explanation=(
            "The signature records a hash of the body as it was signed (bh={signed}); the body we received hashes "
            "to {computed} under c={canon} canonicalisation. Something changed the body between signing and here. "
            "Usual causes: a mailing list or a gateway adding a footer or disclaimer, antivirus or DLP appending "
            "'scanned' lines, a relay re-encoding the body (8bit to quoted-printable, changed MIME boundaries), "
            "line endings changed (LF vs CRLF) or trailing spaces stripped, and signing before the application "
            "finished writing the body. 'simple' body canonicalisation breaks on any whitespace change; 'relaxed' "
            "survives whitespace changes but never added text."
        ),
        fix=(
            "Sign as the very last step before the message leaves your network, after any disclaimer, footer or "
            "tracking rewrite (Microsoft 365 transport-rule disclaimers, Exchange, antivirus gateways: move DKIM "
            "signing to the outbound gateway, or drop the disclaimer). Use c=relaxed/relaxed in your signer "
            "(OpenDKIM: Canonicalization relaxed/relaxed). When testing, save the message exactly as received "
            "(Download original / .eml); copying the text through an editor changes line endings and breaks the "
            "body hash by itself."
        ),
        reference="RFC 6376 §3.4, §3.7",
    ),
    FindingSpec(
        code="dkim.signature_invalid",
        severity=Severity.FAIL,
        step="dkim",
        title="DKIM signature {index} (d={d}, s={s}) does not verify",
        explanation=(
            "The body is intact (its hash matches bh=), but the signature over the signed headers ({headers}) does "
            "not verify with the public key at {name}. Either a signed header changed in transit (a gateway tagging "
            "the Subject with [EXTERNAL] or [SPAM], a list rewriting From or Reply-To, a Date or Message-ID "
            "re-written), or the key that signed is not the pair of the key published (a rotation where the DNS "
            "record and the signer's private key do not belong together)."
        ),
        fix=(
            "Compare the message as sent with the message as received for the headers listed in h=. If they "
            "differ, stop the rewriting (subject tagging, header rewriting) or sign after it. If nothing changed, "
            "republish the public key that matches the signer's private key at {name} (for a self-managed key: "
            "`openssl rsa -in {s}.private -pubout` gives the p= value), or generate a fresh pair with "
            "`smtpkit dkim keygen --domain {d} --selector <new selector>`."
        ),
        reference="RFC 6376 §6.1.3",
    ),
    FindingSpec(
        code="dkim.signature_malformed",
        severity=Severity.FAIL,
        step="dkim",
        title="DKIM signature {index} cannot be checked: the header is malformed",
        explanation=(
            "The DKIM-Signature header is not valid: {problem}. Receivers give such a signature a permanent error, "
            "as if the message were unsigned. This is a bug or misconfiguration in the software that signs (a "
            "missing required tag, an unknown algorithm, a timestamp in the future from a wrong clock), or the "
            "header was damaged in transit."
        ),
        fix=(
            "Look at the signer's configuration and version (OpenDKIM, rspamd, your application's DKIM library): "
            "a signature needs v=1, a=rsa-sha256 or ed25519-sha256, d=, s=, h= (including from), bh= and b=. Check "
            "the signing server's clock (timedatectl / NTP) if t= is in the future."
        ),
        reference="RFC 6376 §3.5, §6.1.1",
    ),
    FindingSpec(
        code="dkim.signature_expired",
        severity=Severity.FAIL,
        step="dkim",
        title="DKIM signature {index} (d={d}, s={s}) has expired",
        explanation=(
            "The signature carries x={expiration}, an expiry time that has passed, so receivers no longer accept it. "
            "Expiry protects against replay, but a short x= also breaks mail that sits in a queue or is checked "
            "later (a retry after greylisting, a forward, a manual test with an old message)."
        ),
        fix=(
            "Test with a freshly sent message. If new messages expire too, lengthen or drop the signature "
            "lifetime in your signer (OpenDKIM: SignatureTTL; rspamd: expire), e.g. to 7 days, and make sure the "
            "signing server's clock is right."
        ),
        reference="RFC 6376 §3.5 (x=)",
    ),
    FindingSpec(
        code="dkim.verify_deadline",
        severity=Severity.WARN,
        step="dkim",
        title="DKIM signature {index} (d={d}, s={s}) was not checked in time",
        explanation=(
            "Verifying this message took longer than the {deadline} seconds the check allows, so signature "
            "{index} was not verified: neither passed nor failed. The time went to slow key lookups or to a very "
            "large message (each signature means hashing the whole body again). A receiver has its own limits "
            "and may have verified it."
        ),
        fix=(
            "Check the key itself, which is quick: `smtpkit domain {d} --selector {s}`. Then run the verification "
            "again, pointing it at a DNS server that answers fast (--nameserver), or with the message alone if it "
            "carries attachments you can drop (the signature then fails on the body hash, but the key and the "
            "header signature are still checked)."
        ),
        reference="RFC 6376 §6.1 (verifiers may limit the work they do)",
    ),
    FindingSpec(
        code="dkim.body_length_limit",
        severity=Severity.WARN,
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
