"""MTA-STS findings (RFC 8461): the ``_mta-sts`` record, the policy file, and whether it fits the MX hosts.

Two kinds of trouble, with different stakes. A policy senders cannot fetch or
parse is ignored: MTA-STS is then simply not in effect (mail still flows, but
unprotected; senders that cached an older policy keep using it until its
max_age runs out). A valid ``enforce`` policy that does not fit the MX hosts
is worse: senders that honour MTA-STS (Gmail, Microsoft, Yahoo among them)
refuse to deliver, and the mail bounces.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

_NOT_IN_EFFECT = (
    "Senders that cannot fetch and parse the policy treat {domain} as having none, so MTA-STS does not protect its "
    "mail; senders that cached an earlier policy keep applying that one until its max_age runs out."
)
_POLICY_EXAMPLE = (
    "Serve exactly this file (plain text, CRLF or LF line ends) at https://mta-sts.{domain}/.well-known/mta-sts.txt:"
    " version: STSv1 / mode: enforce (or testing while you try it) / mx: <each MX host, or *.your-provider.example>"
    " / max_age: 1209600"
)
_NEW_ID = "then change the id= in _mta-sts.{domain} (a timestamp such as 20240131T120000) so senders fetch it again."

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="mta_sts.record_missing",
        severity=Severity.WARN,
        step="mta_sts",
        title="{domain} serves an MTA-STS policy but publishes no _mta-sts record",
        explanation=(
            "{url} serves a policy (mode {mode}), but there is no _mta-sts.{domain} TXT record. Senders only fetch "
            "the policy after finding that record, so none of them ever sees it: MTA-STS is not in effect."
        ),
        fix='Publish the record: _mta-sts.{domain}. 3600 IN TXT "v=STSv1; id=20240131T120000"',
        reference="RFC 8461 §3.1",
    ),
    FindingSpec(
        code="mta_sts.record_invalid",
        severity=Severity.WARN,
        step="mta_sts",
        title="The _mta-sts record of {domain} is invalid",
        explanation=(
            'The record "{record}" breaks RFC 8461 §3.1: {problems}. Senders treat a domain with an invalid '
            "record as having no policy, so MTA-STS is not in effect."
        ),
        fix='Replace it with: _mta-sts.{domain}. 3600 IN TXT "v=STSv1; id=20240131T120000" (letters and digits only '
        "in the id).",
        reference="RFC 8461 §3.1",
    ),
    FindingSpec(
        code="mta_sts.multiple_records",
        severity=Severity.WARN,
        step="mta_sts",
        title="{domain} has {count} _mta-sts records: senders use none",
        explanation=(
            "RFC 8461 §3.1: when more than one TXT record at _mta-sts.{domain} starts with v=STSv1, senders must "
            "act as if there were no policy. Found: {records}."
        ),
        fix="Delete all but one record; when you change the policy, change the id= of that one record instead.",
        reference="RFC 8461 §3.1",
    ),
    FindingSpec(
        code="mta_sts.lookup_failed",
        severity=Severity.WARN,
        step="mta_sts",
        title="The MTA-STS lookup of {domain} did not get an answer (could not check)",
        explanation="Looking up {name} TXT ended with {status}: {error}.",
        fix=(
            "Check that every nameserver of {domain} answers (`dig +norec TXT {name} @<each NS>`), then run the check "
            "again, or from another resolver (--nameserver)."
        ),
        reference="RFC 8461 §3.1",
    ),
    FindingSpec(
        code="mta_sts.policy_fetch_failed",
        severity=Severity.WARN,
        step="mta_sts",
        title="The MTA-STS policy of {domain} could not be fetched",
        explanation="Fetching {url} failed at the {stage} stage: {error}. " + _NOT_IN_EFFECT,
        fix=(
            "Give mta-sts.{domain} an address (A/AAAA) on a web server that answers HTTPS on port 443 from the "
            "internet, with a certificate for mta-sts.{domain}. If this machine's network blocks the fetch, check from "
            "elsewhere: curl -v {url}"
        ),
        reference="RFC 8461 §3.3",
    ),
    FindingSpec(
        code="mta_sts.policy_host_private",
        severity=Severity.WARN,
        step="mta_sts",
        title="mta-sts.{domain} has only non-public addresses (not fetched)",
        explanation=(
            "The policy host resolves to {addresses}, none of them reachable from the internet, so smtpkit did not "
            "connect (a check must not be turned against your own network). Senders on the internet cannot fetch the "
            "policy either. " + _NOT_IN_EFFECT
        ),
        fix=(
            "Point mta-sts.{domain} at a public web server. To check a policy on your own test servers on a private "
            "or loopback address anyway, add --allow-private on the command line (Python: allow_private=True); a "
            "documentation address is never contacted, as no server lives there."
        ),
        reference="RFC 8461 §3.3; RFC 6890",
    ),
    FindingSpec(
        code="mta_sts.policy_cert_invalid",
        severity=Severity.WARN,
        step="mta_sts",
        title="The certificate of mta-sts.{domain} fails verification",
        explanation=(
            "Senders fetch the policy only over HTTPS with a certificate that is valid for mta-sts.{domain} and "
            "chains to a public CA; this one fails: {problem}. (Certificate: {certificate}.) " + _NOT_IN_EFFECT
        ),
        fix=(
            "Install a certificate that names mta-sts.{domain} (for example from Let's Encrypt: certbot certonly -d "
            "mta-sts.{domain}), with its full chain, on the web server that answers for mta-sts.{domain}."
        ),
        reference="RFC 8461 §3.3",
    ),
    FindingSpec(
        code="mta_sts.policy_redirect",
        severity=Severity.WARN,
        step="mta_sts",
        title="The MTA-STS policy URL of {domain} redirects",
        explanation=(
            "{url} answered {status} with a redirect to {location}. RFC 8461 §3.3 forbids senders to follow "
            "redirects, so they get no policy. " + _NOT_IN_EFFECT
        ),
        fix=(
            "Serve the file itself at exactly that URL, with status 200 (turn off 'redirect to www' or 'force "
            "trailing slash' rules for the mta-sts host). " + _POLICY_EXAMPLE
        ),
        reference="RFC 8461 §3.3",
    ),
    FindingSpec(
        code="mta_sts.policy_http_error",
        severity=Severity.WARN,
        step="mta_sts",
        title="The MTA-STS policy URL of {domain} answers {status}",
        explanation="{url} answered {status} {reason} instead of the policy. " + _NOT_IN_EFFECT,
        fix=_POLICY_EXAMPLE + ".",
        reference="RFC 8461 §3.3",
    ),
    FindingSpec(
        code="mta_sts.policy_content_type",
        severity=Severity.WARN,
        step="mta_sts",
        title="The MTA-STS policy of {domain} is served as {content_type}, not text/plain",
        explanation=(
            "Senders check that the policy's media type is text/plain (RFC 8461 §3.2), so that a web page or an "
            "upload on the same host can never pass for a policy; {url} answered with Content-Type {content_type}. "
            + _NOT_IN_EFFECT
        ),
        fix=(
            "Make the web server send Content-Type: text/plain for /.well-known/mta-sts.txt (nginx: "
            "location = /.well-known/mta-sts.txt {{ default_type text/plain; }}; a CMS must not render it as a page)."
        ),
        reference="RFC 8461 §3.2",
    ),
    FindingSpec(
        code="mta_sts.policy_too_large",
        severity=Severity.WARN,
        step="mta_sts",
        title="The MTA-STS policy of {domain} is larger than {limit}",
        explanation=(
            "{url} sent {size}; senders stop reading a policy after a limit (64 KiB is what RFC 8461 §3.3's advice "
            "leads to), so they get a cut-off policy or none. A real policy is a few hundred bytes. " + _NOT_IN_EFFECT
        ),
        fix="Serve only the policy lines. " + _POLICY_EXAMPLE + ".",
        reference="RFC 8461 §3.3",
    ),
    FindingSpec(
        code="mta_sts.policy_invalid",
        severity=Severity.WARN,
        step="mta_sts",
        title="The MTA-STS policy of {domain} is invalid",
        explanation="The policy at {url} breaks RFC 8461 §3.2: {problems}. " + _NOT_IN_EFFECT,
        fix=_POLICY_EXAMPLE + "; " + _NEW_ID,
        reference="RFC 8461 §3.2",
    ),
    FindingSpec(
        code="mta_sts.mx_not_covered",
        severity=Severity.FAIL,
        step="mta_sts",
        title="MX {mx} of {domain} is not covered by its MTA-STS policy ({mode})",
        explanation=(
            "The policy lists {patterns}, and none of them matches the MX host {mx} (a '*.' pattern matches exactly "
            "one label: *.example.com covers mail.example.com, not example.com nor a.b.example.com). {consequence}"
        ),
        fix="Add the MX to the policy (mx: {mx}), " + _NEW_ID,
        reference="RFC 8461 §4.1",
    ),
    FindingSpec(
        code="mta_sts.mx_cert_invalid",
        severity=Severity.FAIL,
        step="mta_sts",
        title="MX {mx} of {domain} presents a certificate that would fail MTA-STS ({mode})",
        explanation=(
            "Under MTA-STS, senders deliver to an MX only over TLS with a certificate valid for the MX's name and "
            "chained to a public CA; {mx} presented one that fails: {problem}. {consequence}"
        ),
        fix=(
            "Install a certificate for {mx} from a public CA (for example Let's Encrypt), with its full chain, on the "
            "MX; or, if the MX is your provider's, point MX and policy at the name its certificate carries."
        ),
        reference="RFC 8461 §4.2",
    ),
    FindingSpec(
        code="mta_sts.mode_testing",
        severity=Severity.INFO,
        step="mta_sts",
        title="The MTA-STS policy of {domain} is in testing mode",
        explanation=(
            "In testing mode, senders check the MX hosts against the policy and report failures (to the TLS-RPT "
            "address) but still deliver. Nothing is enforced yet: that is the right way to start."
        ),
        fix="Once TLS reports show no failures for a few weeks, switch to mode: enforce and " + _NEW_ID,
        reference="RFC 8461 §5",
    ),
    FindingSpec(
        code="mta_sts.mode_none",
        severity=Severity.INFO,
        step="mta_sts",
        title="The MTA-STS policy of {domain} is mode none (switched off)",
        explanation=(
            "Mode none tells senders to drop any policy they cached: it is how MTA-STS is withdrawn. Mail to "
            "{domain} gets no MTA-STS protection."
        ),
        fix="If this is not a withdrawal in progress, publish mode: testing, then enforce, and " + _NEW_ID,
        reference="RFC 8461 §8.3",
    ),
    FindingSpec(
        code="mta_sts.max_age_short",
        severity=Severity.INFO,
        step="mta_sts",
        title="The MTA-STS policy of {domain} is cached for only {max_age}",
        explanation=(
            "max_age tells senders how long to keep the policy. RFC 8461 §3.2 expects weeks or more: a short "
            "max_age leaves a window at every refresh in which an attacker who blocks the policy fetch can strip "
            "TLS from your mail."
        ),
        fix="Once the policy is stable, raise it: max_age: 1209600 (two weeks) or more, and " + _NEW_ID,
        reference="RFC 8461 §3.2",
    ),
]
