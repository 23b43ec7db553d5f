"""The rules table that turns a failing SMTP reply into a finding.

The SMTP engine reports *what the server said* at *which stage*; this module
decides *what it means*. It is a table, not an if-chain, so adding a provider
quirk is adding one `ReplyRule` (with the real reply text it was written from
as `example`, and where that text was seen as `reference`) and one test row.

Matching, most specific first:

1. text rules: a regular expression over the reply text (Gmail's "Application-
   specific password required", Office 365's "SmtpClientAuthentication is
   disabled for the Tenant"); a rule of the provider we are talking to wins
   over another provider's rule for the same text;
2. enhanced-code rules: the RFC 3463 code alone (``5.1.1`` at RCPT);
3. a fallback per stage and reply code, so that every failing reply gets a
   finding and the engine never invents a code.

The finding's explanation is the catalogue text, then what this rule adds,
then the plain meaning of the reply and enhanced codes.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smtpkit.knowledge.catalogue import _Params, catalogue, spec
from smtpkit.knowledge.enhanced import explain_enhanced
from smtpkit.knowledge.presets import GENERIC_PRESETS, preset, preset_keys, provider_for_host
from smtpkit.knowledge.replies import explain_reply, format_reply, is_expected, parse_reply_text, split_enhanced
from smtpkit.model import Finding

__all__ = [
    "STAGES",
    "ReplyRule",
    "RULES",
    "classify_reply",
    "classify_wire",
    "match_rule",
    "decode_xoauth2_error",
    "explain_xoauth2_error",
    "stage_step",
    "rules_frame",
]

STAGES = ("banner", "ehlo", "helo", "starttls", "auth", "mail", "rcpt", "data", "message")

_STAGE_STEP = {
    "banner": "banner",
    "ehlo": "ehlo",
    "helo": "ehlo",
    "starttls": "tls",
    "auth": "auth",
    "mail": "send",
    "rcpt": "send",
    "data": "send",
    "message": "send",
}

_SEND = ("mail", "rcpt", "data", "message")
_OAUTH_MECHANISMS = ("XOAUTH2", "OAUTHBEARER")


def stage_step(stage: str) -> str:
    """The report step a stage belongs to (``rcpt`` -> ``send``, ``starttls`` -> ``tls``)."""
    return _STAGE_STEP[stage]


@dataclass(frozen=True)
class ReplyRule:
    """One known reply and the finding it means.

    `pattern` is a case-insensitive regular expression searched in the reply
    text with line breaks and repeated enhanced codes removed; named groups
    (``(?P<region>…)``) become template parameters. `codes`, `enhanced` and
    `stages` narrow where the rule applies (empty: anywhere); an `enhanced`
    entry ending in ``*`` is a prefix (``4.7.5*``), ``""`` means "no enhanced code".
    `exclusive` rules apply only when we already know the provider, for texts
    too generic to identify it on their own. `weak` text rules give way to an
    enhanced-code rule (a vague "authentication failed" must not hide
    Microsoft's precise 5.7.139). `names_provider=False` marks wording that
    other servers copy (on-premises Exchange, imitations): the rule's provider
    is then not assumed when choosing a provider-specific fix. `detail` is
    appended to the
    explanation; `fix`, when given, replaces the catalogue fix.
    """

    name: str
    finding: str
    pattern: str = ""
    provider: str | None = None
    codes: tuple[int, ...] = ()
    enhanced: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    detail: str = ""
    fix: str = ""
    severity: str | None = None
    exclusive: bool = False
    weak: bool = False
    names_provider: bool = True
    reference: str = ""
    example: str = ""

    def __post_init__(self) -> None:
        if self.provider is not None and self.provider not in preset_keys():
            raise ValueError(f"rule {self.name}: unknown provider {self.provider!r}")
        for st in self.stages:
            if st not in STAGES:
                raise ValueError(f"rule {self.name}: unknown stage {st!r}")
        if self.pattern:
            object.__setattr__(self, "_rx", re.compile(self.pattern, re.IGNORECASE))

    @property
    def kind(self) -> str:
        return "text" if self.pattern else "enhanced" if self.enhanced else "code"

    def matches(self, stage: str, code: int, enhanced: str | None, text: str, provider: str | None) -> re.Match[str] | bool:
        if self.stages and stage not in self.stages:
            return False
        if self.codes and code not in self.codes:
            return False
        if self.exclusive and provider != self.provider:
            return False
        if self.enhanced and not _enhanced_ok(self.enhanced, enhanced):
            return False
        if self.pattern:
            return self._rx.search(text) or False  # type: ignore[attr-defined]
        return True


def _enhanced_ok(wanted: tuple[str, ...], got: str | None) -> bool:
    for w in wanted:
        if w == "" and got is None:
            return True
        if got is None or not w:
            continue
        if w.endswith("*") and got.startswith(w[:-1]):
            return True
        if got == w:
            return True
    return False


def _R(name: str, finding: str, pattern: str = "", **kw: Any) -> ReplyRule:
    return ReplyRule(name=name, finding=finding, pattern=pattern, **kw)


_GSMTP = "https://support.google.com/a/answer/3726730"
_MS_SMTP_AUTH = "https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission"
_MS_NDR = "https://learn.microsoft.com/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/non-delivery-reports-in-exchange-online"
_YAHOO = "https://senders.yahooinc.com/smtp-error-codes/"
_SES_ERR = "https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas-errors.html"
_SISIMAI_GOOGLE = "https://github.com/sisimai/p5-sisimai/blob/master/lib/Sisimai/Rhost/Google.pm"

# ---------------------------------------------------------------------------
# The table. Provider rules first (in provider order), then generic text rules,
# then enhanced-code rules. Order matters only among rules that match the same
# reply; `match_rule` prefers the current provider's rule.

RULES: tuple[ReplyRule, ...] = (
    # ----------------------------------------------------------------- Gmail
    _R(
        "gmail.bad_credentials", "auth.bad_credentials", r"username and password not accepted",
        provider="gmail", stages=("auth",),
        detail="Gmail gives this answer for a wrong password and also when the normal Google account password is used: since 2022 Google accepts only an App Password (or OAuth) for SMTP. The ?p=BadCredentials link in the reply is Google's page about this.",
        reference="https://support.google.com/mail/?p=BadCredentials (seen in nodemailer, PHPMailer, gophish issue reports)",
        example="535-5.7.8 Username and Password not accepted. Learn more at\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials lf4-20020a170902fb4400b0019b4ee071ddsm4794plb.2999 - gsmtp",
    ),
    _R(
        "gmail.app_password_required", "auth.app_password_required", r"application-specific password required",
        provider="gmail", stages=("auth",),
        detail="Gmail says the account has 2-Step Verification on, so only an App Password (or OAuth) is accepted over SMTP; the normal password will never work here.",
        reference="https://github.com/Der-Henning/tgtg/issues/517; https://support.google.com/mail/?p=InvalidSecondFactor",
        example="534-5.7.9 Application-specific password required. For more information, go to\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor ffacd0b85a97d-368119970e7sm1809147f8f.21 - gsmtp",
    ),
    _R(
        "gmail.web_login_required", "auth.web_login_required", r"please log in (via|with|through) your web browser",
        provider="gmail", stages=("auth",),
        reference="https://support.google.com/mail/answer/78754 (534-5.7.14, seen in smtplib tracebacks)",
        example="534-5.7.14 <https://accounts.google.com/signin/continue?sarp=1&scc=1&plt=AKgnsbv\n534-5.7.14 0U4lDuCSJuXxon4qOVzqg5qsWlmg9f5gR1X9i7LE5it4BEYv56tYsegiR4fV98gqxmZtH>\n534-5.7.14 Please log in via your web browser and then try again.\n534-5.7.14  Learn more at\n534 5.7.14  https://support.google.com/mail/answer/78754 o17sm2976192qtv.45 - gsmtp",
    ),
    _R(
        "gmail.too_many_logins", "auth.too_many_attempts", r"too many login attempts",
        provider="gmail", stages=("auth",),
        detail="Google counts every SMTP login; a program that logs in once per message (or retries a wrong password) reaches the limit within minutes.",
        reference="https://github.com/nodemailer/nodemailer/issues/1388; https://support.google.com/mail/answer/7126229",
        example="454-4.7.0 Too many login attempts, please try again later. Learn more at\n454 4.7.0  https://support.google.com/mail/answer/7126229 4-20020a056000154400b00203812ca383sm10857871wry.78 - gsmtp",
    ),
    _R(
        "gmail.auth_tempfail", "auth.tempfail", r"cannot authenticate due to (a )?temporary system problem",
        provider="gmail", stages=("auth",),
        reference=_GSMTP,
        example="454 4.7.0 Cannot authenticate due to a temporary system problem. Try again later. - gsmtp",
    ),
    _R(
        "gmail.auth_required", "send.unauthenticated", r"authentication required.*(p=wantautherror|gsmtp)",
        provider="gmail", codes=(530,), stages=_SEND,
        detail="The session reached MAIL FROM without logging in: smtp.gmail.com only sends for a logged-in Google account (this is SMTP AUTH, not SPF/DKIM).",
        fix="Make the client log in before sending: enable SMTP authentication with the full Gmail address and an App Password, on smtp.gmail.com port 587 (STARTTLS) or 465 (TLS).",
        reference="https://support.google.com/mail/?p=WantAuthError",
        example="530-5.7.0 Authentication Required. Learn more at\n530 5.7.0  https://support.google.com/mail/?p=WantAuthError h5-20020a05620a244500b006bb8b5b79c1sm10716297qkn.106 - gsmtp",
    ),
    _R(
        "gmail.unauthenticated", "send.unauthenticated", r"(this mail is unauthenticated|blocked because the sender is unauthenticated\. gmail requires all senders to authenticate with either spf or dkim)",
        provider="gmail", stages=("rcpt", "data", "message"),
        detail="This is about the message's domain, not your login: Gmail checked the From domain's SPF and DKIM and neither passed, so it cannot tell the mail really comes from that domain.",
        fix="Publish an SPF record for the sending domain that includes the server or service that sends (e.g. `v=spf1 include:_spf.google.com ~all` for Google Workspace) and turn on DKIM signing for the domain (Google Admin console > Apps > Google Workspace > Gmail > Authenticate email, or your sending service's domain authentication). Check the result with `smtpkit domain <your-domain>`.",
        reference="https://support.google.com/mail/answer/81126#authentication; https://conetix.com.au/support/google-gmail-rejects-email-with-550-5-7-26-this-mail-is-unauthenticated/",
        example="550-5.7.26 This mail is unauthenticated, which poses a security risk to the\n550-5.7.26 sender and Gmail users, and has been blocked. The sender must\n550-5.7.26 authenticate with at least one of SPF or DKIM. For more\n550-5.7.26 information, go to\n550 5.7.26  https://support.google.com/mail/answer/81126#authentication a640c23a62f3a-a7a3c7b4fc5si213551366b.72 - gsmtp",
    ),
    _R(
        "gmail.dmarc_rejected", "send.unauthenticated", r"is not accepted due to domain'?s dmarc policy",
        provider="gmail", stages=("rcpt", "data", "message"),
        detail="The From domain publishes a DMARC policy of reject (or quarantine) and this message passed neither SPF nor DKIM in alignment with the From domain, so Gmail applied the domain owner's own policy.",
        fix="Send through a server authorised by the From domain's SPF record, sign with DKIM for that same domain, and make sure the domain in From: matches (aligns with) the SPF or DKIM domain. If you forward or relay mail for others, rewrite the envelope sender (SRS) or use your own From domain.",
        reference="https://support.google.com/mail/?p=DmarcRejection; " + _SISIMAI_GOOGLE,
        example="550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's\n550-5.7.26 DMARC policy. Please contact the administrator of example.com domain\n550-5.7.26 if this was a legitimate mail. To learn about the DMARC initiative, go\n550 5.7.26  to https://support.google.com/mail/?p=DmarcRejection x4si1234567wrs.321 - gsmtp",
    ),
    _R(
        "gmail.spf_hardfail", "send.unauthenticated", r"(fails to pass spf checks for an spf record with a hard fail|has an spf record with a hard fail policy)",
        provider="gmail", stages=("rcpt", "data", "message"),
        detail="The sending domain's SPF record ends in -all (hard fail) and the sending IP address is not in it.",
        fix="Add the sending server or service to the domain's SPF record (one TXT record starting `v=spf1`, e.g. `include:` your provider), or send through a server that is already listed. Check with `smtpkit domain <domain>`.",
        reference=_SISIMAI_GOOGLE + "; https://support.google.com/mail/answer/81126",
        example="550-5.7.26 The MAIL FROM domain [example.com] has an SPF record with a hard fail\n550-5.7.26 policy (-all) but it fails to pass SPF checks with the ip:\n550-5.7.26 [203.0.113.9]. To best protect our users from spam and phishing, the\n550-5.7.26 message has been blocked. For more information, go to Email sender\n550 5.7.26 guidelines. https://support.google.com/mail/answer/81126 - gsmtp",
    ),
    _R(
        "gmail.bulk_spf", "send.unauthenticated", r"senders to authenticate (their email )?with spf",
        provider="gmail", stages=("rcpt", "data", "message"),
        detail="Gmail requires senders of bulk mail to pass SPF; this message did not. (Gmail uses 5.7.27 for this, unlike the registry's meaning 'sender address has null MX'.)",
        fix="Publish or correct the SPF record of the envelope sender's domain so it includes the server that sends, and check it with `smtpkit domain <domain>`.",
        reference=_SISIMAI_GOOGLE + "; https://support.google.com/mail/answer/81126",
        example="550-5.7.27 Your email has been blocked because the sender is unauthenticated.\n550-5.7.27 Gmail requires all senders to authenticate with SPF. Authentication\n550-5.7.27 results: SPF domain-name with IP address: 203.0.113.9 = Did not pass.\n550 5.7.27 https://support.google.com/mail/answer/81126#authentication - gsmtp",
    ),
    _R(
        "gmail.unusual_rate", "send.rate_limited", r"unusual rate of (unsolicited )?mail",
        provider="gmail", codes=(421, 450, 451),
        detail="Gmail has temporarily rate-limited mail from your IP address, DKIM or SPF domain because it looks like a burst of unsolicited mail.",
        fix="Slow down and let your server retry later; check that the mail is wanted (complaint rate below 0.3% in Google Postmaster Tools), authenticate with SPF and DKIM, and warm up new IPs gradually.",
        reference=_GSMTP + "; https://support.google.com/mail/?p=UnsolicitedRateLimitError",
        example="421-4.7.0 Our system has detected an unusual rate of unsolicited mail originating\n421-4.7.0 from your IP address. To protect our users from spam, mail sent from your IP\n421-4.7.0 address has been temporarily blocked. For more information, visit\n421 4.7.0  https://support.google.com/mail/answer/188131 - gsmtp",
    ),
    _R(
        "gmail.unusual_rate_blocked", "send.blocked_spam", r"unusual rate of unsolicited mail",
        provider="gmail", codes=(550, 554),
        detail="Gmail has blocked mail from your IP address because of an unusual rate of unsolicited mail.",
        reference=_SISIMAI_GOOGLE,
        example="550-5.7.1 Our system has detected an unusual rate of unsolicited mail\n550-5.7.1 originating from your IP address. To protect our users from spam, mail\n550-5.7.1 sent from your IP address has been blocked. Review\n550 5.7.1 https://support.google.com/mail/answer/81126 - gsmtp",
    ),
    _R(
        "gmail.likely_spam", "send.blocked_spam", r"(likely unsolicited mail|very low reputation of the sending|due to the nature of the content or the links)",
        provider="gmail",
        reference="https://support.google.com/mail/answer/188131; " + _SISIMAI_GOOGLE,
        example="550-5.7.1 [203.0.113.9] Our system has detected that this message is likely\n550-5.7.1 unsolicited mail. To reduce the amount of spam sent to Gmail, this\n550-5.7.1 message has been blocked. For more information, go to\n550 5.7.1  https://support.google.com/mail/?p=UnsolicitedMessageError - gsmtp",
    ),
    _R(
        "gmail.daily_limit", "send.daily_limit_exceeded", r"daily (user )?sending (limit|quota) exceeded",
        provider="gmail",
        reference="https://support.google.com/a/answer/166852 (550 5.4.5, seen in many application issue trackers)",
        example="550-5.4.5 Daily user sending limit exceeded. For more information on Gmail\n550-5.4.5 sending limits go to\n550 5.4.5  https://support.google.com/a/answer/166852 d2e1a72fcca58-7090e2c86fdsm1234567b3a.101 - gsmtp",
    ),
    _R(
        "gmail.relay_daily_limit", "send.daily_limit_exceeded", r"daily smtp relay (sending )?limit exceeded",
        provider="gmail",
        detail="This is the Google Workspace SMTP relay service's own daily limit (per user), not the Gmail account limit.",
        fix="Wait up to 24 hours. The Workspace SMTP relay allows about 10,000 recipients per user per day; spread automated mail over several sending users or move bulk mail to a dedicated sending service.",
        reference="https://support.google.com/a/answer/6140680",
        example="550 5.4.5 Daily SMTP relay limit exceeded for user. For more information on SMTP relay sending limits please contact your administrator or visit https://support.google.com/a/answer/6140680 - gsmtp",
    ),
    _R(
        "gmail.receiving_too_fast", "send.rate_limited", r"is receiving (mail|email) (too quickly|at a rate that prevents additional messages)",
        provider="gmail", codes=(450, 451, 550),
        detail="The limit is on the recipient's side: that one mailbox is receiving too much mail right now. Other recipients are not affected.",
        fix="Let your server retry later (it does so automatically for 4xx replies); if you are the one sending many messages to this address, slow down or batch them.",
        reference="https://support.google.com/mail/answer/22839",
        example="450-4.2.1 The user you are trying to contact is receiving mail too quickly.\n450-4.2.1 Please resend your message at a later time. If the user is able to\n450-4.2.1 receive mail at that time, your message will be delivered. For more\n450 4.2.1 information, go to https://support.google.com/mail/answer/22839 - gsmtp",
    ),
    _R(
        "gmail.mailbox_full", "send.mailbox_full", r"(inbox is out of storage space|account that you tried to reach is over quota)",
        provider="gmail", stages=("rcpt", "data", "message"),
        reference="https://support.google.com/mail/?p=OverQuotaPerm",
        example="552-5.2.2 The recipient's inbox is out of storage space and inactive. Please\n552-5.2.2 direct the recipient to\n552 5.2.2  https://support.google.com/mail/?p=OverQuotaPerm z3si1234567ejx.420 - gsmtp",
    ),
    _R(
        "gmail.no_such_user", "send.recipient_unknown", r"the email account that you tried to reach does not exist",
        provider="gmail", stages=("rcpt", "data", "message"),
        reference="https://support.google.com/mail/?p=NoSuchUser",
        example="550-5.1.1 The email account that you tried to reach does not exist. Please try\n550-5.1.1 double-checking the recipient's email address for typos or\n550-5.1.1 unnecessary spaces. For more information, go to\n550 5.1.1  https://support.google.com/mail/?p=NoSuchUser d9443c01a7336-1f6a2b5c1e2si123456ad.123 - gsmtp",
    ),
    _R(
        "gmail.recipient_disabled", "send.recipient_unknown", r"account that you tried to reach is (disabled|inactive)",
        provider="gmail", stages=("rcpt", "data", "message"),
        detail="The Google account exists but is disabled or inactive, so it no longer receives mail.",
        reference="https://support.google.com/mail/?p=DisabledUser",
        example="550-5.2.1 The email account that you tried to reach is inactive. For more\n550-5.2.1 information, go to\n550 5.2.1  https://support.google.com/mail/?p=DisabledUser b7si123456qkf.456 - gsmtp",
    ),
    _R(
        "gmail.too_large", "send.message_too_large", r"exceed(ed|s) google'?s message size limit",
        provider="gmail",
        reference="https://support.google.com/mail/?p=MaxSizeError",
        example="552-5.3.4 Your message exceeded Google's message size limits. Please visit\n552-5.3.4  https://support.google.com/mail/?p=MaxSizeError to view our size\n552 5.3.4 guidelines. 5si123456edb.42 - gsmtp",
    ),
    _R(
        "gmail.ptr_missing", "send.policy_rejected", r"(does not have a ptr record|does not match the ip address of the hostname specified in the pointer)",
        provider="gmail",
        detail="Gmail refuses mail from IP addresses without a matching reverse DNS (PTR) name: the IP's PTR name must resolve back to the same IP.",
        fix="Ask whoever owns the sending IP (your hosting or cloud provider) to set a PTR record naming your mail server, e.g. mail.example.com, and make sure that name has an A/AAAA record with the same IP. Or send through a provider's submission server instead of directly.",
        reference="https://support.google.com/mail/answer/81126#ip-practices",
        example="550-5.7.25 The IP address sending this message does not have a PTR record setup,\n550-5.7.25 or the corresponding forward DNS entry does not point to the sending IP.\n550-5.7.25 As a policy, Gmail does not accept messages from IPs with missing PTR\n550 5.7.25 records. https://support.google.com/mail/answer/81126#ip-practices - gsmtp",
    ),
    _R(
        "gmail.relay_denied", "send.relay_denied", r"(mail relay denied|invalid credentials for relay)",
        provider="gmail",
        detail="This comes from the Google Workspace SMTP relay service (smtp-relay.gmail.com): the sending IP address or domain is not registered in the Workspace relay settings.",
        fix="In the Google Admin console > Apps > Google Workspace > Gmail > Routing > SMTP relay service, add the sending device's public IP address (or require SMTP authentication), and send with a From address in one of your Workspace domains.",
        reference="https://support.google.com/a/answer/6140680#maildenied",
        example="550-5.7.0 Mail relay denied [203.0.113.9]. Invalid credentials for relay for\n550-5.7.0 one of the domains in: example.com (as obtained from HELO and MAIL FROM).\n550-5.7.0 Email is being sent from a domain or IP address which isn't registered\n550 5.7.0 in your Workspace account. https://support.google.com/a/answer/6140680#maildenied - gsmtp",
    ),
    _R(
        "gmail.sending_denied", "send.account_restricted", r"mail sending denied",
        provider="gmail",
        detail="Google Workspace refuses to send for this account: it is suspended, deleted or not part of the Workspace domain.",
        fix="A Google Workspace administrator checks Admin console > Directory > Users for the sending user (suspended? deleted?) and restores it, or you send as an active user.",
        reference="https://support.google.com/a/answer/6140680#maildenied",
        example="550 5.7.0 Mail Sending denied. This error occurs if the sender account is disabled or not registered within your Google Workspace domain. - gsmtp",
    ),
    _R(
        "gmail.bad_sender_syntax", "send.sender_rejected", r"is not a valid rfc[ -]?5321 address",
        provider="gmail", stages=("mail",),
        reference="https://support.google.com/a/answer/3221692",
        example="553-5.1.7 The sender address <not an address> is not a valid RFC 5321 address.\n553 5.1.7 For more information, go to https://support.google.com/a/answer/3221692 - gsmtp",
    ),
    _R(
        "gmail.not_rfc5322", "send.message_malformed",
        r"(messages missing a valid message-id:? header|missing a valid address in the from:? header|multiple addresses in from:? header|is not rfc 5322 compliant)",
        provider="gmail", stages=("data", "message"),
        reference="https://support.google.com/mail/?p=RfcMessageNonCompliant (reply quoted in many application fixes)",
        example="550-5.7.1 [203.0.113.9] Messages missing a valid Message-ID header are not\n550-5.7.1 accepted. For more information, go to\n550 5.7.1  https://support.google.com/mail/?p=RfcMessageNonCompliant - gsmtp",
    ),
    # --------------------------------------------- Microsoft 365 / Exchange Online
    _R(
        "office365.smtp_auth_disabled_tenant", "auth.smtp_auth_disabled", r"smtpclientauthentication is disabled for the tenant",
        provider="office365", stages=("auth",),
        detail="SMTP AUTH is switched off for the whole Microsoft 365 organisation (the default for tenants created since 2020). The password may be perfectly correct.",
        fix="A Microsoft 365 administrator enables it for the organisation, or better only for this mailbox: Exchange admin center > Settings > Mail flow > untick 'Turn off SMTP AUTH protocol for your organization', or in Exchange Online PowerShell `Set-TransportConfig -SmtpClientAuthenticationDisabled $false` (organisation) / `Set-CASMailbox -Identity {username} -SmtpClientAuthenticationDisabled $false` (this mailbox only, wins over the organisation setting). Allow up to an hour; Security defaults must also be off for Basic authentication to work.",
        reference="https://github.com/simonrob/email-oauth2-proxy/issues/193; https://aka.ms/smtp_auth_disabled",
        example="535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. [MN2PR05CA0004.namprd05.prod.outlook.com 2023-09-12T20:59:57.214Z 08DBB276B7E699C4]",
    ),
    _R(
        "office365.smtp_auth_disabled_mailbox", "auth.smtp_auth_disabled", r"smtpclientauthentication is disabled for the mailbox",
        provider="office365", stages=("auth",),
        detail="SMTP AUTH is switched off for this one mailbox. This applies to OAuth (XOAUTH2) logins too, and Microsoft has turned it off for some personal Outlook.com mailboxes.",
        fix="A Microsoft 365 administrator ticks 'Authenticated SMTP' for the mailbox: Microsoft 365 admin center > Users > Active users > {username} > Mail > Manage email apps, or `Set-CASMailbox -Identity {username} -SmtpClientAuthenticationDisabled $false`. Allow up to an hour. For a personal Outlook.com mailbox there is no switch: send through Microsoft Graph or another provider.",
        reference=_MS_SMTP_AUTH + " (reply text also in project READMEs and issue trackers)",
        example="535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information. [AM0PR02CA0123.eurprd02.prod.outlook.com 2024-05-02T08:11:43.123Z 08DC6A1B2C3D4E5F]",
    ),
    _R(
        "office365.basic_auth_disabled", "auth.smtp_auth_disabled", r"basic authentication is disabled",
        provider="office365", stages=("auth",),
        detail="The password itself is not the problem: Microsoft 365 no longer accepts username+password (Basic authentication) for this account, because of Security defaults, an authentication policy, or Microsoft's retirement of Basic authentication for SMTP AUTH. App passwords use the same Basic path and are refused too.",
        fix="Switch the application to OAuth 2.0 (XOAUTH2): register an app in Microsoft Entra ID with the SMTP.Send permission and log in with an access token. If the application cannot do OAuth, use another sending path (a connector-based SMTP relay from a fixed IP, or a transactional email service).",
        reference="https://github.com/rpremraj/mailR/issues/107; https://github.com/nodemailer/nodemailer/issues/1714",
        example="535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [PN0PR01CA0024.INDPRD01.PROD.OUTLOOK.COM 2025-01-26T18:54:30.055Z 08DD3DD7D75D7743]",
    ),
    _R(
        "office365.criteria_not_met", "auth.smtp_auth_disabled", r"request did not meet the criteria to be authenticated successfully",
        provider="office365", stages=("auth",),
        detail="Microsoft Entra ID refused the sign-in by policy: a Conditional Access policy (location, device, MFA requirement) or Security defaults blocked this legacy SMTP login, or SMTP AUTH is off for the mailbox.",
        fix="An administrator looks up this sign-in in Microsoft Entra admin center > Sign-in logs (filter by {username}, client app 'Authenticated SMTP') to see which policy failed, then excludes this account from it or moves the application to OAuth 2.0; also check 'Authenticated SMTP' is enabled for the mailbox (`Set-CASMailbox -Identity {username} -SmtpClientAuthenticationDisabled $false`).",
        reference="https://github.com/gophish/gophish/issues/3220; https://docs.bookyourpto.com/features/smtp-troubleshoot",
        example="535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator. [MN2PR07CA0004.namprd07.prod.outlook.com 2024-08-13T18:27:55.030Z 08DCBB430284475F]",
    ),
    _R(
        "office365.security_defaults", "auth.smtp_auth_disabled", r"locked by your organization'?s security defaults policy",
        provider="office365", stages=("auth",),
        detail="The tenant has Security defaults turned on, which blocks legacy authentication such as SMTP AUTH with a password for every user.",
        fix="Either move the application to OAuth 2.0 (recommended), or an administrator turns off Security defaults (Microsoft Entra admin center > Identity > Overview > Properties > Manage security defaults) and replaces them with Conditional Access policies that exclude only this sending account from the legacy-authentication block.",
        reference="https://docs.bookyourpto.com/features/smtp-troubleshoot",
        example="535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy. Contact your administrator. [BN9PR03CA0123.namprd03.prod.outlook.com 2024-02-01T10:00:00.000Z 08DC1234ABCD5678]",
    ),
    _R(
        "office365.credentials_incorrect", "auth.bad_credentials", r"the user credentials were incorrect",
        provider="office365", stages=("auth",),
        detail="Unlike the other 5.7.139 replies, this one really means the username or password is wrong.",
        reference="text as asserted in public SMTP-classifier test suites (find it with 'the user credentials were incorrect' 5.7.139)",
        example="535 5.7.139 Authentication unsuccessful, the user credentials were incorrect. [SN4PR0501CA0054.namprd05.prod.outlook.com]",
    ),
    _R(
        "office365.account_locked", "auth.account_disabled", r"authentication unsuccessful, account (is )?(locked|has an issue)",
        provider="office365", stages=("auth",),
        detail="Microsoft 365 locked the account, typically after repeated failed logins (a wrong stored password retried by a device), or flagged it ('account has an issue'). Retrying extends the lock.",
        fix="Stop the device or application from retrying, then have an administrator check Microsoft Entra admin center > Users > {username} (sign-in blocked? risky user?) and the Sign-in logs; unlock or reset the password, update it everywhere it is stored, and only then retry.",
        reference="reply text quoted from production logs in public repositories ('535 5.7.139 Authentication unsuccessful, account locked.')",
        example="535 5.7.139 Authentication unsuccessful, account locked. Contact your administrator. [CH2PR19CA0002.namprd19.prod.outlook.com 2026-08-28T19:45:50.437Z 08DF04C6D9A404E7]",
    ),
    _R(
        "office365.auth_unsuccessful", "auth.bad_credentials", r"authentication unsuccessful",
        provider="office365", stages=("auth",), enhanced=("5.7.3",),
        detail="Exchange's 5.7.3 is its generic 'login failed': a wrong password, an account that needs MFA, or Basic authentication / SMTP AUTH being blocked for the account.",
        reference="https://github.com/jstedfast/MailKit/issues/700; https://github.com/jstedfast/MailKit/issues/1532",
        example="535 5.7.3 Authentication unsuccessful [BN3PR03CA0067.namprd03.prod.outlook.com]",
    ),
    _R(
        "office365.client_not_authenticated", "send.unauthenticated", r"client (was )?not authenticated to send",
        provider="office365", names_provider=False,
        detail="Microsoft 365 (and Exchange) saw MAIL FROM on a session that is not logged in. Either the client never sent AUTH, or its login failed and it went on anyway (the real reason then is an earlier 5.7.139 or 5.7.3 reply in the transcript).",
        reference="https://github.com/MicrosoftDocs/OfficeDocs-Exchange/issues/3124; https://docs.bookyourpto.com/features/smtp-troubleshoot",
        example="530 5.7.57 Client not authenticated to send mail. [BN0PR04CA0042.namprd04.prod.outlook.com 2024-03-05T09:12:00.000Z 08DC3C1D2E3F4A5B]",
    ),
    _R(
        "office365.send_as_denied", "send.sender_not_owned", r"sendasdenied; \S+ not allowed to send as",
        provider="office365",
        reference="https://github.com/gophish/gophish/issues/2900",
        example="554 5.2.252 SendAsDenied; alice@contoso.com not allowed to send as security@example.com; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message [BeginDiagnosticData]Cannot submit message. 0.35250:1F009983, 1.36674:0A000000",
    ),
    _R(
        "office365.no_send_as_permission", "send.sender_not_owned", r"client does not have permissions? to send as this sender",
        provider="office365",
        reference="https://github.com/nodemailer/nodemailer/issues/145; https://github.com/gophish/gophish/issues/2480",
        example="550 5.7.60 SMTP; Client does not have permissions to send as this sender. [DM6PR04MB1234.namprd04.prod.outlook.com 2024-01-10T12:00:00.000Z 08DC1234ABCD5678]",
    ),
    _R(
        "office365.submission_quota", "send.daily_limit_exceeded", r"submissionquotaexceededexception",
        provider="office365",
        detail="The mailbox exceeded Exchange Online's sending limit (10,000 recipients a day; 30 messages a minute are throttled rather than refused).",
        reference="https://github.com/MicrosoftDocs/OfficeDocs-Support/issues/1150",
        example="554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception with message Cannot submit message.",
    ),
    _R(
        "office365.server_busy", "send.rate_limited", r"server busy",
        provider="office365", enhanced=("4.7.5*", "4.7.6*", "5.7.5*"),
        detail="Exchange Online Protection is throttling your IP address or tenant (codes 4.7.500-4.7.699); it is not a hard block and clears on its own if you send more slowly.",
        reference="https://knowledge.broadcom.com/external/article/274850; https://support.smartfense.com/hc/en-us/articles/14217721708443",
        example="451 4.7.500 Server busy. Please try again later from [203.0.113.9]. (S77719) [BN8NAM12FT052.eop-nam12.prod.protection.outlook.com]",
    ),
    _R(
        "office365.ip_not_accepted", "send.ip_blocklisted", r"traffic not accepted from this ip",
        provider="office365",
        detail="Microsoft refuses mail from this IP address because of its reputation; new and trial tenants get this until they build a sending history, and compromised accounts cause it too.",
        reference="https://mxio.io/learn/errors/ip-blocked-o365-5-7-708",
        example="550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653 AS(7171) [BN8NAM12FT032.eop-nam12.prod.protection.outlook.com]",
    ),
    _R(
        "office365.banned_ip", "send.ip_blocklisted", r"access denied, banned sending ip",
        provider="office365",
        reference="https://learn.microsoft.com/defender-office-365/external-senders-use-the-delist-portal-to-unblock-themselves; " + _MS_NDR,
        example="550 5.7.606 Access denied, banned sending IP [203.0.113.9]. To request removal from this list please visit https://sender.office.com/ and follow the directions. For more information please go to http://go.microsoft.com/fwlink/?LinkID=526655 AS(1430) [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]",
    ),
    _R(
        "office365.ip_reputation", "send.rate_limited", r"temporarily rate limited due to ip reputation",
        provider="office365",
        reference="https://postmaster.live.com; https://github.com/sisimai/p5-sisimai/blob/master/lib/Sisimai/Rhost/Microsoft.pm",
        example="451 4.7.650 The mail server [203.0.113.9] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S775) [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]",
    ),
    _R(
        "office365.tls_outdated", "auth.tls_version_rejected", r"tls 1\.0 and 1\.1 are not supported",
        provider="office365",
        reference="https://aka.ms/smtp_auth_tls; https://m365scripts.com/security/opt-in-to-the-exchange-online-endpoint-for-legacy-tls-clients-using-smtp-auth/",
        example="421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. Visit https://aka.ms/smtp_auth_tls. [AM6P192CA0012.EURP192.PROD.OUTLOOK.COM]",
    ),
    _R(
        "office365.external_forwarding", "send.policy_rejected", r"does not allow external forwarding",
        provider="office365",
        detail="This is the sending Microsoft 365 organisation's own outbound spam policy: automatic forwarding (an inbox rule or mailbox forwarding) to an outside address is blocked. The recipient's side did nothing wrong.",
        fix="If the forward is wanted, a Microsoft 365 administrator creates an outbound anti-spam policy for this mailbox with 'Automatic forwarding rules' set to On (Microsoft Defender portal > Email & collaboration > Policies & rules > Threat policies > Anti-spam > Create policy > Outbound). Otherwise remove the forwarding rule.",
        reference="https://learn.microsoft.com/defender-office-365/outbound-spam-policies-external-email-forwarding",
        example="550 5.7.520 Access denied, Your organization does not allow external forwarding. Please contact your administrator for further assistance. AS(7555)",
    ),
    _R(
        "office365.bad_outbound_sender", "send.blocked_spam", r"access denied, bad outbound sender",
        provider="office365",
        detail="Microsoft 365 blocked this user from sending because the account sent mail that looked like spam; usually a sign the account was compromised.",
        reference=_MS_NDR,
        example="550 5.1.8 Access denied, bad outbound sender. AS(42) [AM0PR02MB1234.eurprd02.prod.outlook.com]",
    ),
    _R(
        "office365.dmarc_failed", "send.unauthenticated", r"does not pass dmarc verification",
        provider="office365", stages=("rcpt", "data", "message"),
        detail="The From domain's DMARC check failed at Microsoft: neither SPF nor DKIM passed for a domain aligned with the From address.",
        fix="Authenticate the From domain: include your sending service in its SPF record, sign with DKIM for that domain, and check alignment with `smtpkit domain <domain>`.",
        reference=_MS_NDR,
        example="550 5.7.509 Access denied, sending domain example.com does not pass DMARC verification and has a DMARC policy of reject. [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]",
    ),
    _R(
        "office365.tenant_attribution", "send.relay_denied", r"tenantattribution; relay access denied",
        provider="office365",
        detail="Exchange Online could not attribute this connection to your tenant: mail is being relayed through Microsoft 365 without a matching inbound connector (sending IP or certificate), or to a domain that is not hosted there.",
        fix="For a device or application relaying through Microsoft 365: create (or fix) an inbound connector from 'Your organization's email server' that identifies it by its static public IP address or by the certificate name it presents (Exchange admin center > Mail flow > Connectors), and send with a From address in one of your accepted domains. Otherwise log in with SMTP AUTH on smtp.office365.com:587.",
        reference="https://learn.microsoft.com/exchange/mail-flow-best-practices/how-to-set-up-a-multifunction-device-or-application-to-send-email-using-microsoft-365-or-office-365",
        example="550 5.7.64 TenantAttribution; Relay Access Denied [SN1PEPF000252A1.namprd05.prod.outlook.com]",
    ),
    _R(
        "office365.unregistered_domain", "send.account_restricted", r"client blocked from sending from unregistered domains?",
        provider="office365",
        detail="Microsoft 365 blocks a tenant that sends a lot of mail from domains it has not added and verified (a sign of compromise or misuse).",
        fix="Add and verify every domain you send from as an accepted domain (Microsoft 365 admin center > Settings > Domains), send only with From addresses in those domains, and if the tenant stays blocked open a case with Microsoft support.",
        reference=_MS_NDR + "; reply text as quoted in Microsoft Learn 'Understanding and troubleshooting Out of Office (OOF) replies'",
        example="550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains. [DM6NAM12FT012.eop-nam12.prod.protection.outlook.com]",
    ),
    _R(
        "office365.recipient_not_found", "send.recipient_unknown", r"(recipientnotfound|recipient not found by smtp address lookup)",
        provider="office365", stages=("rcpt", "data", "message"),
        reference=_MS_NDR,
        example="550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient nobody@contoso.com not found by SMTP address lookup",
    ),
    _R(
        "office365.edge_blocked", "send.recipient_unknown", r"recipient address rejected: access denied\. as\(201806281\)",
        provider="office365", stages=("rcpt",),
        detail="Microsoft 365's Directory-Based Edge Blocking refused the address because no such recipient exists in the organisation's directory.",
        reference="https://learn.microsoft.com/exchange/mail-flow-best-practices/use-directory-based-edge-blocking",
        example="550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [BN8NAM12FT040.eop-nam12.prod.protection.outlook.com]",
    ),
    _R(
        "office365.spam_abuse", "send.blocked_spam", r"access denied, spam abuse detected",
        provider="office365",
        reference="https://github.com/dougperkes/Visual-Graph-Explorer/issues/1; " + _MS_NDR,
        example="550 5.7.501 Access denied, spam abuse detected. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653",
    ),
    # ----------------------------------------------------------- Outlook.com
    _R(
        "outlook.send_as_denied", "send.sender_not_owned", r"sendasdeniedexception",
        provider="outlook",
        detail="Microsoft (Outlook.com and Exchange Online) refuses a From address that is not the logged-in mailbox or one of its allowed aliases.",
        reference="https://github.com/rss2email/rss2email/issues/147; https://github.com/MicrosoftDocs/OfficeDocs-Support/issues/1187",
        example="554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message Cannot submit message. 0.35250:7D060000, 1.36674:0A000000, 1.61250:00000000",
    ),
    _R(
        "outlook.outbound_spam", "send.blocked_spam", r"outboundspamexception",
        provider="outlook",
        detail="Outlook.com's outbound spam filter stopped the account ('WASCL UserAction verdict … HipNotify / RefuseQuota' means it wants you to verify the account or it hit a sending quota).",
        reference="https://github.com/Youans/nodejs-nodemailer-outlook/issues/11; https://github.com/nodemailer/nodemailer/issues/1486",
        example="554 5.2.0 STOREDRV.Submission.Exception:OutboundSpamException; Failed to process message due to a permanent exception with message WASCL UserAction verdict is not None. Actual verdict is RefuseQuota, ShowTierUpgrade. OutboundSpamException: WASCL UserAction verdict is not None. Actual verdict is RefuseQuota, ShowTierUpgrade. [Hostname=VI1PR05MB5405.eurprd05.prod.outlook.com]",
    ),
    # ------------------------------------------------------------------ Yahoo
    _R(
        "yahoo.too_many_bad_auth", "auth.too_many_attempts", r"\(#auth005\) too many bad auth attempts",
        provider="yahoo", stages=("auth",),
        detail="Despite its wording, Yahoo returns AUTH005 even on the first attempt when the normal account password is used: Yahoo accepts only app passwords for SMTP. Repeated attempts then really lock logins for a while.",
        fix="Create an app password (Yahoo Account security > Generate app password), use it as the SMTP password with the full Yahoo address as username, and wait about an hour before retrying if the lock persists.",
        reference="https://github.com/PHPMailer/PHPMailer/issues/2034; https://github.com/nedimf/maildroid/issues/17",
        example="535 5.7.0 (#AUTH005) Too many bad auth attempts.",
    ),
    _R(
        "yahoo.incorrect_password", "auth.bad_credentials", r"\(#mbr1212\) incorrect username or password",
        provider="yahoo", stages=("auth",),
        reference="https://github.com/PHPMailer/PHPMailer/issues/1287",
        example="535 5.7.0 (#MBR1212) Incorrect username or password.",
    ),
    _R(
        "yahoo.spamhaus_listed", "send.ip_blocklisted", r"(because the ip is in spamhaus'?s list|not accepted from ip addresses on spamhaus)",
        provider="yahoo",
        detail="Yahoo refuses connections from IP addresses on Spamhaus's blocklists ([BL21]/[BL23]).",
        reference=_YAHOO + "; https://github.com/sisimai/p5-sisimai/blob/master/lib/Sisimai/Rhost/YahooInc.pm",
        example="553 5.7.1 [BL21] Connections will not be accepted from 203.0.113.9, because the ip is in Spamhaus's list; see http://postmaster.yahoo.com/550-bl23.html",
    ),
    _R(
        "yahoo.deferred_volume", "send.rate_limited", r"temporarily deferred due to unexpected volume or user complaints",
        provider="yahoo",
        detail="Yahoo is deferring mail from your IP because of unusual volume or complaints from Yahoo users ([TSS04]); it also appears for senders without SPF, DKIM or DMARC.",
        fix="Let your server retry (it is temporary), slow down, remove addresses that bounce or complain, and authenticate the domain with SPF, DKIM and DMARC. Check your standing with Yahoo's Sender Hub.",
        reference=_YAHOO + "; https://smtpfieldmanual.com/provider/yahoo/421/4.7.0",
        example="421 4.7.0 [TSS04] Messages from 203.0.113.9 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
    ),
    _R(
        "yahoo.permanently_deferred", "send.ip_blocklisted", r"will be permanently deferred",
        provider="yahoo",
        reference=_YAHOO,
        example="553 5.7.2 [TSS09] All messages from 203.0.113.9 will be permanently deferred; Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes",
    ),
    _R(
        "yahoo.policy_reasons", "send.blocked_spam", r"not accepted for policy reasons",
        provider="yahoo",
        detail="Yahoo judged the message (content, links, or the sender's reputation and authentication) against its sender requirements and refused it.",
        reference=_YAHOO,
        example="554 5.7.9 Message not accepted for policy reasons.  See https://postmaster.yahooinc.com/error-codes",
    ),
    _R(
        "yahoo.requires_spf_dkim", "send.unauthenticated", r"yahoo requires all senders to authenticate with either spf or dkim",
        provider="yahoo", stages=("rcpt", "data", "message"),
        detail="Yahoo checked the From domain's SPF and DKIM and neither passed.",
        fix="Publish an SPF record that includes your sending server or service and enable DKIM signing for the From domain; check with `smtpkit domain <domain>`.",
        reference="https://github.com/sisimai/p5-sisimai/blob/master/lib/Sisimai/Rhost/YahooInc.pm; " + _YAHOO,
        example="550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo requires all senders to authenticate with either SPF or DKIM.",
    ),
    _R(
        "yahoo.unresolvable_from", "send.sender_domain_unresolvable", r"unresolvable rfc\.?5321 from domain",
        provider="yahoo",
        reference=_YAHOO + "#unresolvable-from-domain",
        example="451 Message temporarily deferred due to unresolvable RFC.5321 from domain. See https://senders.yahooinc.com/error-codes#unresolvable-from-domain",
    ),
    _R(
        "yahoo.no_such_account", "send.recipient_unknown", r"this user doesn'?t have a [a-z.]+ account",
        provider="yahoo", stages=("rcpt", "data", "message"),
        reference="https://github.com/sisimai/p5-sisimai/blob/master/lib/Sisimai/Rhost/YahooInc.pm",
        example="554 delivery error: dd This user doesn't have a yahoo.com account (nobody@yahoo.com) [0] - mta1234.mail.gq1.yahoo.com",
    ),
    # ------------------------------------------------------------- Amazon SES
    _R(
        "ses.identity_not_verified", "send.sender_not_verified",
        r"email address is not verified\. the following identities failed the check in region (?P<region>[a-z0-9-]+):\s*(?P<identities>.*)",
        provider="ses",
        reference="https://docs.aws.amazon.com/ses/latest/dg/troubleshoot-error-messages.html; https://github.com/mageplaza/magento-2-smtp/issues/152",
        example="554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: yoyo <yoyo@domain.com>, yoyo@domain.com",
    ),
    _R(
        "ses.max_send_rate", "send.rate_limited", r"throttling failure: maximum sending rate exceeded",
        provider="ses",
        detail="Amazon SES allows a fixed number of messages per second per account (sandbox: 1). The message was dropped, not queued: the sending program must retry.",
        reference=_SES_ERR + "; https://aws.amazon.com/blogs/messaging-and-targeting/how-to-handle-a-throttling-maximum-sending-rate-exceeded-error/",
        example="454 Throttling failure: Maximum sending rate exceeded.",
    ),
    _R(
        "ses.daily_quota", "send.daily_limit_exceeded", r"throttling failure: daily message quota exceeded",
        provider="ses",
        reference=_SES_ERR,
        example="454 Throttling failure: Daily message quota exceeded.",
    ),
    _R(
        "ses.bad_credentials", "auth.bad_credentials", r"^authentication credentials invalid",
        provider="ses", codes=(535,), enhanced=("",), exclusive=True,
        detail="Amazon SES refuses IAM access keys and console passwords here: it needs SMTP credentials created for SES in the same region, and new credentials can take a few minutes to work.",
        reference="https://docs.aws.amazon.com/ses/latest/dg/smtp-credentials.html; https://github.com/gophish/gophish/issues/1665",
        example="535 Authentication Credentials Invalid",
    ),
    _R(
        "ses.iam_not_authorized", "send.account_restricted", r"is not authorized to perform `?ses:send(raw)?email",
        provider="ses",
        detail="The IAM user behind these SMTP credentials lacks permission to send for this identity or configuration set.",
        fix="In IAM, give the SMTP user a policy that allows `ses:SendRawEmail` on the resources named in the reply (the identity ARN, and the configuration set if one is used; in the sandbox also the recipient identities), e.g. `\"Action\": \"ses:SendRawEmail\", \"Resource\": \"*\"`.",
        reference="https://docs.aws.amazon.com/ses/latest/dg/control-user-access.html (reply text quoted in public write-ups)",
        example="554 Access denied: User `arn:aws:iam::123456789012:user/ses-smtp-user.20180131-111111' is not authorized to perform `ses:SendRawEmail' on resource `arn:aws:ses:us-west-2:123456789012:identity/alice@example.com'",
    ),
    _R(
        "ses.sending_paused", "send.account_restricted", r"sending paused for this account",
        provider="ses",
        detail="AWS paused sending for the whole SES account, usually because its bounce or complaint rate got too high (see SES > Reputation metrics); AWS emails the account owner the reason.",
        fix="Read the message AWS sent to the account's root email address, open the SES console > Reputation metrics to see the bounce and complaint rates, fix the cause (clean the address list, stop unsolicited mail), then reply to the case AWS opened to ask for sending to be resumed.",
        reference="https://docs.aws.amazon.com/ses/latest/dg/faqs-enforcement.html (reply text quoted in public code and logs)",
        example="554 Message rejected: Sending paused for this account. For more information, please check the inbox of the email address associated with your AWS account.",
    ),
    # --------------------------------------------------------------- SendGrid
    _R(
        "sendgrid.bad_credentials", "auth.bad_credentials", r"authentication failed: bad username / password",
        provider="sendgrid", stages=("auth",),
        reference="https://www.twilio.com/docs/sendgrid/for-developers/sending-email/integrating-with-the-smtp-api",
        example="535 Authentication failed: Bad username / password",
    ),
    _R(
        "sendgrid.key_revoked", "auth.bad_credentials", r"the provided authorization grant is invalid, expired,? or revoked",
        provider="sendgrid", stages=("auth",),
        detail="SendGrid recognised the username but the API key is wrong, deleted or revoked (an API key *ID* instead of the key, a truncated key, or a key from another account).",
        reference="https://github.com/bertjohnson/OpaqueMail/issues/74; https://github.com/sendgrid/docs/issues/3947",
        example="535 Authentication failed: The provided authorization grant is invalid, expired, or revoked",
    ),
    _R(
        "sendgrid.sender_identity", "send.sender_not_verified", r"the from address does not match a verified sender identity",
        provider="sendgrid",
        reference="https://github.com/sahat/hackathon-starter/issues/1083; https://github.com/EBWiki/EBWiki/issues/3861",
        example="550 The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved. Visit https://sendgrid.com/docs/for-developers/sending-email/sender-identity/ to see the Sender Identity requirements",
    ),
    _R(
        "sendgrid.max_credits", "send.daily_limit_exceeded", r"maximum credits exceeded",
        provider="sendgrid",
        detail="SendGrid returns this at login when the account has no credits left for the period (Free plan: 100 emails a day).",
        reference="https://github.com/mautic/mautic/issues/8721",
        example="451 Authentication failed: Maximum credits exceeded",
    ),
    _R(
        "sendgrid.messaging_limits", "send.daily_limit_exceeded", r"you'?ve exceeded your messaging limits",
        provider="sendgrid",
        reference="https://github.com/WA-WF-Bot/WA-WF-Bot-Public/issues/282",
        example="451 You've exceeded your messaging limits",
    ),
    _R(
        "sendgrid.unauthenticated", "send.unauthenticated", r"unauthenticated senders not allowed",
        provider="sendgrid", stages=_SEND,
        detail="SendGrid saw MAIL FROM without a successful login; usually the API key setting is empty in the application's environment.",
        reference="https://github.com/sisimai/p5-sisimai (test data); reported with smtp.sendgrid.net in application READMEs",
        example="550 Unauthenticated senders not allowed",
    ),
    # ---------------------------------------------------------------- Mailgun
    _R(
        "mailgun.bad_credentials", "auth.bad_credentials", r"^authentication failed\.?$",
        provider="mailgun", codes=(535,), enhanced=("",), exclusive=True,
        detail="Mailgun needs the SMTP credentials of a sending domain, not the account login or API key.",
        reference="https://documentation.mailgun.com/docs/mailgun/user-manual/sending-messages/send-smtp",
        example="535 Authentication failed",
    ),
    _R(
        "mailgun.sandbox_only", "send.account_restricted", r"is not allowed to send: (free accounts|sandbox subdomains) are for test purposes only",
        provider="mailgun",
        reference="https://github.com/baserow/baserow/issues/1776; https://github.com/mailgun/wordpress-plugin/issues/68",
        example="421 Domain sandboxdf3479ebf6574f74ae2b802abc2ae513.mailgun.org is not allowed to send: Sandbox subdomains are for test purposes only. Please add your own domain or add the address to authorized recipients in Account Settings.",
    ),
    # ------------------------------------------------- generic text rules (any server)
    _R(
        "generic.starttls_first", "auth.requires_tls", r"must issue a starttls command first",
        reference="RFC 3207 §4; Gmail, Postfix, Amazon SES and Exchange all use this wording",
        example="530 5.7.0 Must issue a STARTTLS command first.",
    ),
    _R(
        "generic.encryption_required", "auth.requires_tls", r"(encryption required for requested authentication mechanism|tls required|requires? (a )?(secure|encrypted) connection)",
        stages=("auth", "mail"),
        reference="RFC 4954 §6 (538 5.7.11)",
        example="538 5.7.11 Encryption required for requested authentication mechanism",
    ),
    _R(
        "generic.relay_denied", "send.relay_denied", r"(relay(ing)? (access )?(denied|not permitted|prohibited)|unable to relay|we do not relay|not permitted to relay)",
        stages=_SEND,
        reference="Postfix reject_unauth_destination ('Relay access denied'); Mailgun '550 5.7.1 Relaying denied'",
        example="554 5.7.1 <bob@elsewhere.example>: Relay access denied",
    ),
    _R(
        "generic.greylisted", "send.greylisted", r"(grey|gray)[ -]?list",
        stages=_SEND,
        reference="Postgrey, milter-greylist (RFC 6647)",
        example="450 4.2.0 <bob@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.com.html",
    ),
    _R(
        "generic.user_unknown", "send.recipient_unknown", r"(user unknown|unknown user|no such (user|mailbox|recipient)|mailbox (not found|does not exist)|recipient (address )?(rejected: )?(unknown|does not exist)|address rejected: user unknown|invalid recipient)",
        stages=("rcpt", "data", "message"),
        reference="Postfix local_recipient_maps ('User unknown in local recipient table'), Exchange 'RESOLVER.ADR.RecipNotFound'",
        example="550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table",
    ),
    _R(
        "generic.sender_domain_not_found", "send.sender_domain_unresolvable", r"sender address rejected: domain not found",
        stages=_SEND,
        reference="Postfix reject_unknown_sender_domain",
        example="450 4.1.8 <alice@nonexistent.invalid>: Sender address rejected: Domain not found",
    ),
    _R(
        "generic.sender_login_mismatch", "send.sender_not_owned", r"sender address rejected: not owned by (auth )?user",
        stages=_SEND,
        reference="Postfix reject_sender_login_mismatch",
        example="553 5.7.1 <ceo@example.com>: Sender address rejected: not owned by user alice@example.com",
    ),
    _R(
        "generic.bare_lf", "send.message_malformed", r"(bare <?lf>?|bare line ?feeds?|barelinefeedsareillegal)",
        stages=("data", "message"),
        reference="Postfix smtpd_forbid_bare_newline ('Error: bare <LF> received'); Exchange 'SMTPSEND.BareLinefeedsAreIllegal'",
        example="521 5.5.2 mail.example.com Error: bare <LF> received",
    ),
    _R(
        "generic.message_too_large", "send.message_too_large", r"(message size exceeds|message too (big|large)|exceeds (the )?(maximum )?(message )?size limit|size limit exceeded)",
        reference="Postfix message_size_limit ('Message size exceeds fixed limit')",
        example="552 5.3.4 Message size exceeds fixed limit",
    ),
    _R(
        "generic.mailbox_full", "send.mailbox_full", r"(mailbox( for user)? (is )?full|over ?quota|mailbox size limit exceeded|exceeded storage allocation)",
        stages=("rcpt", "data", "message"),
        reference="Dovecot/LMTP 'Quota exceeded (mailbox for user is full)', RFC 5321 §4.2.2 (552)",
        example="552 5.2.2 <bob@example.com>: Quota exceeded (mailbox for user is full)",
    ),
    _R(
        "generic.blocklisted", "send.ip_blocklisted", r"(blocked using [a-z0-9.-]+|listed (at|in|on) [a-z0-9.-]+\.[a-z]{2,}|spamhaus|dnsbl|\brbl\b|blacklisted|blocklisted)",
        reference="Postfix reject_rbl_client ('Client host [ip] blocked using zen.spamhaus.org')",
        example="554 5.7.1 Service unavailable; Client host [203.0.113.9] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.9",
    ),
    _R(
        "generic.spf_failed", "send.unauthenticated", r"(sender policy framework violation|spf (check |validation )?fail|fails? (to pass )?(spf|dmarc)|dmarc policy)",
        stages=("rcpt", "data", "message"),
        reference="Exchange '550 5.7.23 The message was rejected because of Sender Policy Framework violation'",
        example="550 5.7.23 The message was rejected because of Sender Policy Framework violation",
    ),
    _R(
        "generic.rate_limited", "send.rate_limited", r"(rate limit|ratelimit|throttl|too many (messages|connections|mails)|sending rate|exceeded the configured limit)",
        reference="Postfix anvil/policyd ('Error: too many connections from'), Exchange 4.4.2 'Message submission rate for this client has exceeded the configured limit'",
        example="421 4.7.0 mail.example.com Error: too many connections from 203.0.113.9",
    ),
    _R(
        "generic.auth_required", "send.unauthenticated", r"(authentication (is )?required|please authenticate|you must (first )?authenticate|not logged in|sender address rejected: .*not logged in)",
        stages=_SEND,
        reference="RFC 4954 §6 (530 5.7.0 Authentication required); Postfix smtpd_sender_login_maps",
        example="530 5.7.0 Authentication required",
    ),
    _R(
        "generic.account_disabled", "auth.account_disabled", r"(account (is )?(disabled|suspended|locked|blocked)|user account disabled)",
        stages=("auth", "mail"),
        reference="RFC 5248 (X.7.13)",
        example="535 5.7.13 Account disabled",
    ),
    _R(
        "generic.mechanism_unsupported", "auth.mechanism_unsupported", r"(unrecognized authentication type|authentication mechanism (is )?(not supported|too weak|not available)|mechanism not supported)",
        stages=("auth",),
        reference="RFC 4954 §4 (504 5.5.4, 534 5.7.9)",
        example="504 5.7.4 Unrecognized authentication type",
    ),
    _R(
        "generic.auth_failed", "auth.bad_credentials", r"(authentication (failed|failure|unsuccessful)|incorrect authentication data|invalid (credentials|login|password)|incorrect (username|password|login)|bad (username|password))",
        stages=("auth",), codes=(500, 501, 530, 534, 535, 550, 554), weak=True,
        reference="Exim ('535 Incorrect authentication data'); Postfix/Dovecot SASL ('535 5.7.8 Error: authentication failed: authentication failure')",
        example="535 Incorrect authentication data",
    ),
    # ---------------------------------------------------- enhanced-code rules
    _R("enhanced.5.7.8", "auth.bad_credentials", enhanced=("5.7.8",), reference="RFC 4954 §6"),
    _R("enhanced.5.7.139", "auth.smtp_auth_disabled", enhanced=("5.7.139",), provider="office365", stages=("auth",), reference="https://aka.ms/smtp_auth_disabled"),
    _R("enhanced.5.7.3.auth", "auth.bad_credentials", enhanced=("5.7.3",), stages=("auth",), reference="Exchange 'Authentication unsuccessful'"),
    _R("enhanced.5.7.9.auth", "auth.mechanism_unsupported", enhanced=("5.7.9",), stages=("auth",), reference="RFC 4954 §6 (534 5.7.9)"),
    _R("enhanced.5.7.11", "auth.requires_tls", enhanced=("5.7.11", "5.7.10"), reference="RFC 4954 §6; RFC 5248"),
    _R("enhanced.5.7.12", "auth.bad_credentials", enhanced=("4.7.12", "5.7.12"), stages=("auth",), detail="The server asks for a password change (or the password to be re-entered in a new form) before login works again.", reference="RFC 4954 §6 (432 4.7.12)"),
    _R("enhanced.5.7.13", "auth.account_disabled", enhanced=("5.7.13",), reference="RFC 5248"),
    _R("enhanced.4.7.0.auth", "auth.tempfail", enhanced=("4.*",), stages=("auth",), reference="RFC 4954 §6 (454 4.7.0)"),
    _R("enhanced.5.7.57", "send.unauthenticated", enhanced=("5.7.57",), provider="office365", reference=_MS_SMTP_AUTH),
    _R("enhanced.5.7.60", "send.sender_not_owned", enhanced=("5.7.60", "5.2.252"), provider="office365", reference=_MS_NDR),
    _R("enhanced.5.1.1", "send.recipient_unknown", enhanced=("5.1.1", "5.1.2", "5.1.6", "5.2.1"), stages=("rcpt", "data", "message"), reference="RFC 3463"),
    _R("enhanced.5.1.8", "send.sender_domain_unresolvable", enhanced=("5.1.8", "4.1.8"), stages=_SEND, reference="RFC 3463"),
    _R("enhanced.5.1.7", "send.sender_rejected", enhanced=("5.1.7", "5.1.0", "5.1.3"), stages=("mail",), reference="RFC 3463"),
    _R("enhanced.5.2.2", "send.mailbox_full", enhanced=("5.2.2", "4.2.2"), stages=("rcpt", "data", "message"), reference="RFC 3463"),
    _R("enhanced.5.3.4", "send.message_too_large", enhanced=("5.3.4", "5.2.3", "4.3.4", "5.7.16"), reference="RFC 3463; RFC 1870"),
    _R("enhanced.domain_auth", "send.unauthenticated", enhanced=("5.7.20", "5.7.21", "5.7.22", "5.7.23", "5.7.24", "5.7.26", "4.7.26", "5.7.27", "4.7.27"), stages=("rcpt", "data", "message"), reference="RFC 7372"),
    _R("enhanced.4.2.1", "send.rate_limited", enhanced=("4.2.1",), stages=_SEND, reference="Gmail 450 4.2.1"),
    _R("enhanced.mail_flood", "send.blocked_spam", enhanced=("5.7.28",), reference="IANA X.7.28 'Mail flood detected'"),
    _R("enhanced.4.7.x", "send.rate_limited", enhanced=("4.7.*",), stages=_SEND, codes=(421, 450, 451, 452, 454),
       detail="The server gave no more specific reason. A 4.7.x deferral is usually throttling; at RCPT it can also be greylisting, which asks for the same thing: retry the same message in a few minutes.",
       reference="RFC 3463 (X.7); most 4.7.x replies at MAIL/RCPT/DATA are throttling"),
)

_BY_NAME = {r.name: r for r in RULES}
if len(_BY_NAME) != len(RULES):  # pragma: no cover - caught by the tests at import
    raise ValueError("duplicate rule name in RULES")


# ---------------------------------------------------------------------------
# Fallbacks: every failing reply at every stage gets a finding.

# Codes owned by the SMTP engine / TLS areas. Used when declared; otherwise the
# generic send codes stand in, so classify_reply never raises for a missing code.
_EXTERNAL = {
    ("banner", 4): "banner.tempfail",
    ("banner", 5): "banner.rejected",
    ("ehlo", 4): "ehlo.rejected",
    ("ehlo", 5): "ehlo.rejected",
    ("helo", 4): "ehlo.rejected",
    ("helo", 5): "ehlo.rejected",
    ("starttls", 4): "tls.starttls_refused",
    ("starttls", 5): "tls.starttls_refused",
}


def _fallback(stage: str, code: int) -> ReplyRule:
    cls = code // 100
    if stage in ("banner", "ehlo", "helo", "starttls"):
        wanted = _EXTERNAL[(stage, 4 if cls == 4 else 5)]
        found = wanted if wanted in catalogue() else ("send.tempfail" if cls == 4 else "send.policy_rejected")
        return ReplyRule(f"fallback.{stage}.{cls}xx", found)
    if stage == "auth":
        if code == 535:
            f = "auth.bad_credentials"
        elif code in (530, 538, 523):
            f = "auth.requires_tls"
        elif code in (534, 504):
            f = "auth.mechanism_unsupported"
        elif code in (500, 502):
            f = "auth.not_offered"
        elif cls == 4:
            f = "auth.tempfail"
        else:
            f = "auth.rejected"
        return ReplyRule(f"fallback.auth.{code}", f)
    if code == 530:
        return ReplyRule(f"fallback.{stage}.530", "send.unauthenticated")
    if cls == 4:
        return ReplyRule(f"fallback.{stage}.4xx", "send.tempfail")
    if code == 552:
        return ReplyRule(f"fallback.{stage}.552", "send.mailbox_full" if stage == "rcpt" else "send.message_too_large")
    if stage == "mail":
        return ReplyRule("fallback.mail.5xx", "send.sender_rejected")
    return ReplyRule(f"fallback.{stage}.5xx", "send.policy_rejected")


_MATCH_LIMIT = 8192  # real replies are far shorter; a hostile one must not cost seconds of regex time


def _flat(text: str) -> str:
    """Reply text without the enhanced code, on one line, single-spaced (case kept), capped in length."""
    _, rest = split_enhanced((text or "")[: _MATCH_LIMIT * 2])
    return re.sub(r"\s+", " ", rest).strip()[:_MATCH_LIMIT]


def match_rule(stage: str, code: int, text: str, provider: str | None = None) -> tuple[ReplyRule, dict[str, str]]:
    """The rule that explains this reply, and the named groups its pattern captured.

    Always returns a rule: a text rule, an enhanced-code rule or the stage
    fallback. Among text rules that match, one of `provider`'s rules wins.
    """
    stage = _check_stage(stage)
    code = int(code)
    enhanced, _ = split_enhanced(text or "")
    flat = _flat(text)
    text_hits: list[tuple[ReplyRule, dict[str, str]]] = []
    weak_hits: list[tuple[ReplyRule, dict[str, str]]] = []
    enhanced_hit: ReplyRule | None = None
    for rule in RULES:
        m = rule.matches(stage, code, enhanced, flat, provider)
        if not m:
            continue
        if rule.kind == "text":
            groups = {k: v.strip() for k, v in (m.groupdict() if isinstance(m, re.Match) else {}).items() if v}
            (weak_hits if rule.weak else text_hits).append((rule, groups))
        elif enhanced_hit is None:
            enhanced_hit = rule
    if text_hits:
        for rule, groups in text_hits:
            if provider and rule.provider == provider:
                return rule, groups
        return text_hits[0]
    if enhanced_hit is not None:
        return enhanced_hit, {}
    if weak_hits:
        return weak_hits[0]
    return _fallback(stage, code), {}


def _check_stage(stage: str) -> str:
    st = (stage or "").strip().lower()
    if st not in STAGES:
        raise ValueError(f"unknown SMTP stage {stage!r}; expected one of {', '.join(STAGES)}")
    return st


# ---------------------------------------------------------------------------
# XOAUTH2


def decode_xoauth2_error(challenge_b64: str) -> dict[str, Any] | None:
    """Decode the base64 JSON that an XOAUTH2 server sends in its 334 error challenge.

    Google documents the form ``base64({"status":"401","schemes":"bearer","scope":"https://mail.google.com/"})``;
    Microsoft sends the same shape. Returns the dict, or None when the text is
    not such a challenge (so a normal 334 prompt is never mistaken for an error).
    """
    raw = (challenge_b64 or "").strip()
    if not raw or len(raw) > 8192:
        return None
    raw = re.sub(r"\s+", "", raw)
    try:
        data = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
        obj = json.loads(data.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(obj, dict) or "status" not in obj:
        return None
    return {str(k): v for k, v in obj.items()}


def _coerce_oauth_error(value: Any) -> dict[str, Any] | None:
    """An XOAUTH2 error as the engine may hand it over: a dict, its JSON text, or the raw base64."""
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if not isinstance(value, (str, bytes)) or not value:
        return None
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    if text.lstrip().startswith("{") and len(text) <= 8192:
        try:
            obj = json.loads(text)
        except ValueError:
            return None
        return {str(k): v for k, v in obj.items()} if isinstance(obj, dict) else None
    return decode_xoauth2_error(text)


_XOAUTH2_STATUS = {
    "400": "the token was rejected: expired, malformed, or not an access token",
    "401": "the token is not valid for this user (expired, revoked, or issued to a different account)",
    "403": "the token is valid but lacks permission: wrong scope, or the app is not allowed for this mailbox",
}


def explain_xoauth2_error(err: Mapping[str, Any]) -> str:
    """Plain words for a decoded XOAUTH2 error challenge."""
    status = str(err.get("status", "?"))
    scope = err.get("scope") or "(not given)"
    meaning = _XOAUTH2_STATUS.get(status, "the server refused the token")
    return f"The server's XOAUTH2 error says status {status}: {meaning}. It expects a token for scope {scope}."


# ---------------------------------------------------------------------------
# classify


def classify_reply(stage: str, code: int, text: str, provider: str | None = None, **context: Any) -> Finding | None:
    """The finding for a reply at `stage`, or None when the reply means "go on".

    `context` may carry ``host``, ``port``, ``username``, ``mail_from``,
    ``rcpt_to``, ``size``, ``max_size`` (bytes, from EHLO SIZE), ``mechanism``
    and ``mechanisms`` (AUTH), ``xoauth2_error`` (a decoded or base64
    XOAUTH2 challenge seen earlier in the exchange) and ``mid_exchange`` (the
    AUTH reply answered our response to a 334 challenge, not the AUTH command).
    They fill the finding's templates; nothing here touches the network.
    """
    stage = _check_stage(stage)
    code = int(code)
    text = text or ""
    mechanism = str(context.get("mechanism") or "").upper()

    if is_expected(stage, code):
        if stage == "auth" and code == 334:
            err = decode_xoauth2_error(text)
            if err is not None:
                return _oauth_finding(stage, code, text, err, provider, context)
        return None

    if provider is None and context.get("host"):
        p = provider_for_host(str(context["host"]))
        provider = p.key if p else None

    rule, groups = match_rule(stage, code, text, provider)
    if stage == "auth" and rule.finding == "auth.not_offered" and context.get("mid_exchange"):
        # 500/502 to the AUTH command says "no AUTH here"; after the server's own 334 prompts (a
        # LOGIN password line, a CRAM-MD5 response) AUTH clearly exists: it refused the exchange.
        rule = ReplyRule(f"fallback.auth.{code}.mid_exchange", "auth.rejected")

    oauth_err = _coerce_oauth_error(context.get("xoauth2_error"))
    if stage == "auth" and code >= 500 and (oauth_err or mechanism in _OAUTH_MECHANISMS):
        if rule.finding in ("auth.bad_credentials", "auth.app_password_required", "auth.web_login_required", "auth.rejected"):
            return _oauth_finding(stage, code, text, oauth_err or {}, provider or rule.provider, context)

    return _build(rule, groups, stage, code, text, provider, context)


def classify_wire(stage: str, raw: str, provider: str | None = None, **context: Any) -> Finding | None:
    """`classify_reply` for a reply pasted as text (``"535-5.7.8 …\\n535 5.7.8 …"``), e.g. from a log or a bounce.

    Raises ValueError when the text is not an SMTP reply, so a caller can say
    so instead of guessing.
    """
    reply = parse_reply_text(raw)
    return classify_reply(stage, reply.code, reply.text, provider=provider, **context)


def _params(stage: str, code: int, text: str, provider: str | None, context: Mapping[str, Any], groups: Mapping[str, str]) -> _Params:
    enhanced, message = split_enhanced(text)
    one_line = re.sub(r"\s+", " ", f"{code} {enhanced or ''} {message}").strip()
    if len(one_line) > 160:
        one_line = one_line[:159] + "…"
    values: dict[str, Any] = {
        "host": "the server",
        "port": "the submission port",
        # defaults for a reply pasted without context (smtpkit explain): each template reads
        # naturally with these and with a real address ("no mailbox for bob@example.com")
        "username": "your account",
        "mail_from": "your sender address",
        "rcpt_to": "the recipient's address",
        "mechanism": "the chosen mechanism",
        "mechanisms": "(none listed)",
        "identities": "see the reply",
        "region": "your region",
        "status": "?",
        "scope": "(not given)",
        "size": "",
        "max_size": "",
        "provider_name": "the provider",
        "limits": "see the provider's documentation",
        "limits_note": "",
        # ehlo.rejected says "We introduced ourselves with 'EHLO {helo}'": a pasted reply
        # (smtpkit explain) has no name, and "(helo unknown)" reads like a bug.
        "helo": "<our host name>",
    }
    for key in ("host", "port", "username", "mail_from", "rcpt_to", "mechanism", "size", "helo"):
        if context.get(key) not in (None, ""):
            values[key] = context[key]
    mechs = context.get("mechanisms")
    if mechs:
        values["mechanisms"] = ", ".join(mechs) if not isinstance(mechs, str) else mechs
    max_size = context.get("max_size")
    if isinstance(max_size, int) and max_size > 0:
        values["max_size"] = f"This server's limit (EHLO SIZE) is {max_size:,} bytes, about {max_size / 1_000_000:.0f} MB."
    if provider:
        try:
            p = preset(provider)
            values["provider_name"] = p.name
            values["limits"] = p.limits
            if provider not in GENERIC_PRESETS:
                values["limits_note"] = f"{p.name} limits: {p.limits}."
        except KeyError:
            pass
    values.update({k: v for k, v in groups.items() if v})
    if "region" in groups:
        values["region"] = groups["region"].lower()
    values.update(code=code, enhanced=enhanced or "none", reply=one_line, stage=stage)
    return _Params({k: ("" if v is None else v) for k, v in values.items()})


def _meaning(code: int, text: str, provider: str | None) -> str:
    enhanced, _ = split_enhanced(text)
    parts = [explain_reply(code)]
    if enhanced:
        e = explain_enhanced(enhanced, provider)
        if e:
            parts.append(e)
    return " ".join(parts)


def _build(rule: ReplyRule, groups: Mapping[str, str], stage: str, code: int, text: str, provider: str | None, context: Mapping[str, Any]) -> Finding:
    fix_provider = provider or (rule.provider if rule.names_provider else None)
    params = _params(stage, code, text, fix_provider, context, groups)
    extra = " ".join(x for x in (rule.detail.format_map(params) if rule.detail else "", _meaning(code, text, fix_provider)) if x)
    s = spec(rule.finding)
    finding = s.make(
        format_reply(code, text),
        provider=fix_provider,
        severity=rule.severity,
        step=stage_step(stage),
        extra=extra,
        **params,
    )
    changes: dict[str, str] = {}
    if rule.fix:
        changes["fix"] = rule.fix.format_map(params)
    elif finding.fix != finding.fix.strip():
        changes["fix"] = finding.fix.strip()  # an empty optional parameter at the end
    if rule.reference:
        changes["reference"] = rule.reference
    return dataclasses.replace(finding, **changes) if changes else finding


def _oauth_finding(stage: str, code: int, text: str, err: Mapping[str, Any], provider: str | None, context: Mapping[str, Any]) -> Finding:
    groups = {"status": str(err.get("status", "?")), "scope": str(err.get("scope") or "(not given)")}
    params = _params(stage, code, text, provider, context, groups)
    parts = []
    if err:
        parts.append(explain_xoauth2_error(err))
    else:
        parts.append("The server did not return an XOAUTH2 error challenge, only this final reply; the token was refused.")
    parts.append(_meaning(code, text, provider))
    evidence = format_reply(code, text)
    if err and code == 334:
        evidence += "\n(decoded: " + json.dumps(dict(err), sort_keys=True) + ")"
    return spec("auth.oauth_token_invalid").make(
        evidence, provider=provider, step=stage_step(stage), extra=" ".join(parts), **params
    )


def rules_frame():  # type: ignore[no-untyped-def]
    """The rules table as a pandas DataFrame (for the notebooks and docs)."""
    import pandas as pd

    rows = [
        {
            "rule": r.name,
            "provider": r.provider or "",
            "finding": r.finding,
            "kind": r.kind,
            "reply": r.example.split("\n")[0] if r.example else ", ".join(r.enhanced),
            "reference": r.reference,
        }
        for r in RULES
    ]
    return pd.DataFrame(rows, columns=["rule", "provider", "finding", "kind", "reply", "reference"])
