"""Reply rules: Gmail and Google Workspace.

Each rule carries the real reply text it was written from (`example`) and
where that text was seen (`reference`); `smtpkit.knowledge.rules` discovers
this module and matches its rules in `ORDER` (providers first, generic last).
"""

from __future__ import annotations

from smtpkit.knowledge.rules import SEND_STAGES, ReplyRule, rule

ORDER = 10

_GSMTP = "https://support.google.com/a/answer/3726730"
_SISIMAI_GOOGLE = "https://github.com/sisimai/p5-sisimai/blob/master/lib/Sisimai/Rhost/Google.pm"

RULES: tuple[ReplyRule, ...] = (
    rule(
        "gmail.bad_credentials",
        "auth.bad_credentials",
        r"username and password not accepted",
        provider="gmail",
        stages=("auth",),
        detail=(
            "This is Gmail's wording (its full reply carries a link to https://support.google.com/mail/?p=BadCredentials,"
            " Google's page about it). Gmail gives it for a wrong password and also when the normal Google account"
            " password is used: since 2022 Google accepts only an App Password (or OAuth) for SMTP."
        ),
        reference=(
            "https://support.google.com/mail/?p=BadCredentials (the same reply is quoted in nodemailer, PHPMailer and"
            " gophish bug reports)"
        ),
        example=(
            "535-5.7.8 Username and Password not accepted. Learn more at\n535 5.7.8 "
            " https://support.google.com/mail/?p=BadCredentials lf4-20020a170902fb4400b0019b4ee071ddsm4794plb.2999 -"
            " gsmtp"
        ),
    ),
    rule(
        "gmail.app_password_required",
        "auth.app_password_required",
        r"application-specific password required",
        provider="gmail",
        stages=("auth",),
        detail=(
            "Gmail says the account has 2-Step Verification on, so only an App Password (or OAuth) is accepted over"
            " SMTP; the normal password will never work here."
        ),
        reference=(
            "https://github.com/Der-Henning/tgtg/issues/517; https://support.google.com/mail/?p=InvalidSecondFactor"
        ),
        example=(
            "534-5.7.9 Application-specific password required. For more information, go to\n534 5.7.9 "
            " https://support.google.com/mail/?p=InvalidSecondFactor ffacd0b85a97d-368119970e7sm1809147f8f.21 - gsmtp"
        ),
    ),
    rule(
        "gmail.web_login_required",
        "auth.web_login_required",
        r"please log in (via|with|through) your web browser",
        provider="gmail",
        stages=("auth",),
        reference="https://support.google.com/mail/answer/78754 (534-5.7.14, seen in smtplib tracebacks)",
        example=(
            "534-5.7.14 <https://accounts.google.com/signin/continue?sarp=1&scc=1&plt=AKgnsbv\n534-5.7.14"
            " 0U4lDuCSJuXxon4qOVzqg5qsWlmg9f5gR1X9i7LE5it4BEYv56tYsegiR4fV98gqxmZtH>\n534-5.7.14 Please log in via your"
            " web browser and then try again.\n534-5.7.14  Learn more at\n534 5.7.14 "
            " https://support.google.com/mail/answer/78754 o17sm2976192qtv.45 - gsmtp"
        ),
    ),
    rule(
        "gmail.too_many_logins",
        "auth.too_many_attempts",
        r"too many login attempts",
        provider="gmail",
        stages=("auth",),
        detail=(
            "Google counts every SMTP login; a program that logs in once per message (or retries a wrong password)"
            " reaches the limit within minutes."
        ),
        reference=(
            "https://github.com/nodemailer/nodemailer/issues/1388; https://support.google.com/mail/answer/7126229"
        ),
        example=(
            "454-4.7.0 Too many login attempts, please try again later. Learn more at\n454 4.7.0 "
            " https://support.google.com/mail/answer/7126229 4-20020a056000154400b00203812ca383sm10857871wry.78 - gsmtp"
        ),
    ),
    rule(
        "gmail.auth_tempfail",
        "auth.tempfail",
        r"cannot authenticate due to (a )?temporary system problem",
        provider="gmail",
        stages=("auth",),
        reference=_GSMTP,
        example="454 4.7.0 Cannot authenticate due to a temporary system problem. Try again later. - gsmtp",
    ),
    rule(
        "gmail.auth_required",
        "send.unauthenticated",
        r"authentication required.*(p=wantautherror|gsmtp)",
        provider="gmail",
        codes=(530,),
        stages=SEND_STAGES,
        detail=(
            "The session reached MAIL FROM without logging in: smtp.gmail.com only sends for a logged-in Google account"
            " (this is SMTP AUTH, not SPF/DKIM)."
        ),
        fix=(
            "Make the client log in before sending: enable SMTP authentication with the full Gmail address and an App"
            " Password, on smtp.gmail.com port 587 (STARTTLS) or 465 (TLS)."
        ),
        reference="https://support.google.com/mail/?p=WantAuthError",
        example=(
            "530-5.7.0 Authentication Required. Learn more at\n530 5.7.0 "
            " https://support.google.com/mail/?p=WantAuthError h5-20020a05620a244500b006bb8b5b79c1sm10716297qkn.106 -"
            " gsmtp"
        ),
    ),
    rule(
        "gmail.unauthenticated",
        "send.unauthenticated",
        r"(this mail is unauthenticated|blocked because the sender is unauthenticated\. gmail requires all senders to"
        r" authenticate with either spf or dkim)",
        provider="gmail",
        stages=("rcpt", "data", "message"),
        detail=(
            "This is about the message's domain, not your login: Gmail checked the From domain's SPF and DKIM and"
            " neither passed, so it cannot tell the mail really comes from that domain."
        ),
        fix=(
            "Publish an SPF record for the sending domain that includes the server or service that sends (e.g. `v=spf1"
            " include:_spf.google.com ~all` for Google Workspace) and turn on DKIM signing for the domain (Google Admin"
            " console > Apps > Google Workspace > Gmail > Authenticate email, or your sending service's domain"
            " authentication). Check the result with `smtpkit domain <your-domain>`."
        ),
        reference=(
            "https://support.google.com/mail/answer/81126#authentication;"
            " https://conetix.com.au/support/google-gmail-rejects-email-with-550-5-7-26-this-mail-is-unauthenticated/"
        ),
        example=(
            "550-5.7.26 This mail is unauthenticated, which poses a security risk to the\n550-5.7.26 sender and Gmail"
            " users, and has been blocked. The sender must\n550-5.7.26 authenticate with at least one of SPF or DKIM."
            " For more\n550-5.7.26 information, go to\n550 5.7.26 "
            " https://support.google.com/mail/answer/81126#authentication a640c23a62f3a-a7a3c7b4fc5si213551366b.72 -"
            " gsmtp"
        ),
    ),
    rule(
        "gmail.dmarc_rejected",
        "send.unauthenticated",
        r"is not accepted due to domain'?s dmarc policy",
        provider="gmail",
        stages=("rcpt", "data", "message"),
        detail=(
            "The From domain publishes a DMARC policy of reject (or quarantine) and this message passed neither SPF nor"
            " DKIM in alignment with the From domain, so Gmail applied the domain owner's own policy."
        ),
        fix=(
            "Send through a server authorised by the From domain's SPF record, sign with DKIM for that same domain, and"
            " make sure the domain in From: matches (aligns with) the SPF or DKIM domain. If you forward or relay mail"
            " for others, rewrite the envelope sender (SRS) or use your own From domain."
        ),
        reference="https://support.google.com/mail/?p=DmarcRejection; " + _SISIMAI_GOOGLE,
        example=(
            "550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's\n550-5.7.26 DMARC"
            " policy. Please contact the administrator of example.com domain\n550-5.7.26 if this was a legitimate mail."
            " To learn about the DMARC initiative, go\n550 5.7.26  to https://support.google.com/mail/?p=DmarcRejection"
            " x4si1234567wrs.321 - gsmtp"
        ),
    ),
    rule(
        "gmail.spf_hardfail",
        "send.unauthenticated",
        r"(fails to pass spf checks for an spf record with a hard fail|has an spf record with a hard fail policy)",
        provider="gmail",
        stages=("rcpt", "data", "message"),
        detail="The sending domain's SPF record ends in -all (hard fail) and the sending IP address is not in it.",
        fix=(
            "Add the sending server or service to the domain's SPF record (one TXT record starting `v=spf1`, e.g."
            " `include:` your provider), or send through a server that is already listed. Check with `smtpkit domain"
            " <domain>`."
        ),
        reference=_SISIMAI_GOOGLE + "; https://support.google.com/mail/answer/81126",
        example=(
            "550-5.7.26 The MAIL FROM domain [example.com] has an SPF record with a hard fail\n550-5.7.26 policy (-all)"
            " but it fails to pass SPF checks with the ip:\n550-5.7.26 [203.0.113.9]. To best protect our users from"
            " spam and phishing, the\n550-5.7.26 message has been blocked. For more information, go to Email"
            " sender\n550 5.7.26 guidelines. https://support.google.com/mail/answer/81126 - gsmtp"
        ),
    ),
    rule(
        "gmail.bulk_spf",
        "send.unauthenticated",
        r"senders to authenticate (their email )?with spf",
        provider="gmail",
        stages=("rcpt", "data", "message"),
        detail=(
            "Gmail requires senders of bulk mail to pass SPF; this message did not. (Gmail uses 5.7.27 for this, unlike"
            " the registry's meaning 'sender address has null MX'.)"
        ),
        fix=(
            "Publish or correct the SPF record of the envelope sender's domain so it includes the server that sends,"
            " and check it with `smtpkit domain <domain>`."
        ),
        reference=_SISIMAI_GOOGLE + "; https://support.google.com/mail/answer/81126",
        example=(
            "550-5.7.27 Your email has been blocked because the sender is unauthenticated.\n550-5.7.27 Gmail requires"
            " all senders to authenticate with SPF. Authentication\n550-5.7.27 results: SPF domain-name with IP"
            " address: 203.0.113.9 = Did not pass.\n550 5.7.27"
            " https://support.google.com/mail/answer/81126#authentication - gsmtp"
        ),
    ),
    rule(
        "gmail.unusual_rate",
        "send.rate_limited",
        r"unusual rate of (unsolicited )?mail",
        provider="gmail",
        codes=(421, 450, 451),
        detail=(
            "Gmail has temporarily rate-limited mail from your IP address, DKIM or SPF domain because it looks like a"
            " burst of unsolicited mail."
        ),
        fix=(
            "Slow down and let your server retry later; check that the mail is wanted (complaint rate below 0.3% in"
            " Google Postmaster Tools), authenticate with SPF and DKIM, and warm up new IPs gradually."
        ),
        reference=_GSMTP + "; https://support.google.com/mail/?p=UnsolicitedRateLimitError",
        example=(
            "421-4.7.0 Our system has detected an unusual rate of unsolicited mail originating\n421-4.7.0 from your IP"
            " address. To protect our users from spam, mail sent from your IP\n421-4.7.0 address has been temporarily"
            " blocked. For more information, visit\n421 4.7.0  https://support.google.com/mail/answer/188131 - gsmtp"
        ),
    ),
    rule(
        "gmail.unusual_rate_blocked",
        "send.blocked_spam",
        r"unusual rate of unsolicited mail",
        provider="gmail",
        codes=(550, 554),
        detail="Gmail has blocked mail from your IP address because of an unusual rate of unsolicited mail.",
        reference=_SISIMAI_GOOGLE,
        example=(
            "550-5.7.1 Our system has detected an unusual rate of unsolicited mail\n550-5.7.1 originating from your IP"
            " address. To protect our users from spam, mail\n550-5.7.1 sent from your IP address has been blocked."
            " Review\n550 5.7.1 https://support.google.com/mail/answer/81126 - gsmtp"
        ),
    ),
    rule(
        "gmail.likely_spam",
        "send.blocked_spam",
        r"(likely unsolicited mail|very low reputation of the sending|due to the nature of the content or the links)",
        provider="gmail",
        reference="https://support.google.com/mail/answer/188131; " + _SISIMAI_GOOGLE,
        example=(
            "550-5.7.1 [203.0.113.9] Our system has detected that this message is likely\n550-5.7.1 unsolicited mail."
            " To reduce the amount of spam sent to Gmail, this\n550-5.7.1 message has been blocked. For more"
            " information, go to\n550 5.7.1  https://support.google.com/mail/?p=UnsolicitedMessageError - gsmtp"
        ),
    ),
    rule(
        "gmail.daily_limit",
        "send.daily_limit_exceeded",
        r"daily (user )?sending (limit|quota) exceeded",
        provider="gmail",
        reference="https://support.google.com/a/answer/166852 (550 5.4.5, seen in many application issue trackers)",
        example=(
            "550-5.4.5 Daily user sending limit exceeded. For more information on Gmail\n550-5.4.5 sending limits go"
            " to\n550 5.4.5  https://support.google.com/a/answer/166852 d2e1a72fcca58-7090e2c86fdsm1234567b3a.101 -"
            " gsmtp"
        ),
    ),
    rule(
        "gmail.relay_daily_limit",
        "send.daily_limit_exceeded",
        r"daily smtp relay (sending )?limit exceeded",
        provider="gmail",
        detail=(
            "This is the Google Workspace SMTP relay service's own daily limit (per user), not the Gmail account limit."
        ),
        fix=(
            "Wait up to 24 hours. The Workspace SMTP relay allows about 10,000 recipients per user per day; spread"
            " automated mail over several sending users or move bulk mail to a dedicated sending service."
        ),
        reference="https://support.google.com/a/answer/6140680",
        example=(
            "550 5.4.5 Daily SMTP relay limit exceeded for user. For more information on SMTP relay sending limits"
            " please contact your administrator or visit https://support.google.com/a/answer/6140680 - gsmtp"
        ),
    ),
    rule(
        "gmail.receiving_too_fast",
        "send.rate_limited",
        r"is receiving (mail|email) (too quickly|at a rate that prevents additional messages)",
        provider="gmail",
        codes=(450, 451, 550),
        detail=(
            "The limit is on the recipient's side: that one mailbox is receiving too much mail right now. Other"
            " recipients are not affected."
        ),
        fix=(
            "Let your server retry later (it does so automatically for 4xx replies); if you are the one sending many"
            " messages to this address, slow down or batch them."
        ),
        reference="https://support.google.com/mail/answer/22839",
        example=(
            "450-4.2.1 The user you are trying to contact is receiving mail too quickly.\n450-4.2.1 Please resend your"
            " message at a later time. If the user is able to\n450-4.2.1 receive mail at that time, your message will"
            " be delivered. For more\n450 4.2.1 information, go to https://support.google.com/mail/answer/22839 - gsmtp"
        ),
    ),
    rule(
        "gmail.mailbox_full",
        "send.mailbox_full",
        r"(inbox is out of storage space|account that you tried to reach is over quota)",
        provider="gmail",
        stages=("rcpt", "data", "message"),
        reference="https://support.google.com/mail/?p=OverQuotaPerm",
        example=(
            "552-5.2.2 The recipient's inbox is out of storage space and inactive. Please\n552-5.2.2 direct the"
            " recipient to\n552 5.2.2  https://support.google.com/mail/?p=OverQuotaPerm z3si1234567ejx.420 - gsmtp"
        ),
    ),
    rule(
        "gmail.no_such_user",
        "send.recipient_unknown",
        r"the email account that you tried to reach does not exist",
        provider="gmail",
        stages=("rcpt", "data", "message"),
        reference="https://support.google.com/mail/?p=NoSuchUser",
        example=(
            "550-5.1.1 The email account that you tried to reach does not exist. Please try\n550-5.1.1 double-checking"
            " the recipient's email address for typos or\n550-5.1.1 unnecessary spaces. For more information, go"
            " to\n550 5.1.1  https://support.google.com/mail/?p=NoSuchUser d9443c01a7336-1f6a2b5c1e2si123456ad.123 -"
            " gsmtp"
        ),
    ),
    rule(
        "gmail.recipient_disabled",
        "send.recipient_unknown",
        r"account that you tried to reach is (disabled|inactive)",
        provider="gmail",
        stages=("rcpt", "data", "message"),
        detail="The Google account exists but is disabled or inactive, so it no longer receives mail.",
        reference="https://support.google.com/mail/?p=DisabledUser",
        example=(
            "550-5.2.1 The email account that you tried to reach is inactive. For more\n550-5.2.1 information, go"
            " to\n550 5.2.1  https://support.google.com/mail/?p=DisabledUser b7si123456qkf.456 - gsmtp"
        ),
    ),
    rule(
        "gmail.too_large",
        "send.message_too_large",
        r"exceed(ed|s) google'?s message size limit",
        provider="gmail",
        reference="https://support.google.com/mail/?p=MaxSizeError",
        example=(
            "552-5.3.4 Your message exceeded Google's message size limits. Please visit\n552-5.3.4 "
            " https://support.google.com/mail/?p=MaxSizeError to view our size\n552 5.3.4 guidelines. 5si123456edb.42 -"
            " gsmtp"
        ),
    ),
    rule(
        "gmail.ptr_missing",
        "send.policy_rejected",
        r"(does not have a ptr record|does not match the ip address of the hostname specified in the pointer)",
        provider="gmail",
        detail=(
            "Gmail refuses mail from IP addresses without a matching reverse DNS (PTR) name: the IP's PTR name must"
            " resolve back to the same IP."
        ),
        fix=(
            "Ask whoever owns the sending IP (your hosting or cloud provider) to set a PTR record naming your mail"
            " server, e.g. mail.example.com, and make sure that name has an A/AAAA record with the same IP. Or send"
            " through a provider's submission server instead of directly."
        ),
        reference="https://support.google.com/mail/answer/81126#ip-practices",
        example=(
            "550-5.7.25 The IP address sending this message does not have a PTR record setup,\n550-5.7.25 or the"
            " corresponding forward DNS entry does not point to the sending IP.\n550-5.7.25 As a policy, Gmail does not"
            " accept messages from IPs with missing PTR\n550 5.7.25 records."
            " https://support.google.com/mail/answer/81126#ip-practices - gsmtp"
        ),
    ),
    rule(
        "gmail.relay_denied",
        "send.relay_denied",
        r"(mail relay denied|invalid credentials for relay)",
        provider="gmail",
        detail=(
            "This comes from the Google Workspace SMTP relay service (smtp-relay.gmail.com): the sending IP address or"
            " domain is not registered in the Workspace relay settings."
        ),
        fix=(
            "In the Google Admin console > Apps > Google Workspace > Gmail > Routing > SMTP relay service, add the"
            " sending device's public IP address (or require SMTP authentication), and send with a From address in one"
            " of your Workspace domains."
        ),
        reference="https://support.google.com/a/answer/6140680#maildenied",
        example=(
            "550-5.7.0 Mail relay denied [203.0.113.9]. Invalid credentials for relay for\n550-5.7.0 one of the domains"
            " in: example.com (as obtained from HELO and MAIL FROM).\n550-5.7.0 Email is being sent from a domain or IP"
            " address which isn't registered\n550 5.7.0 in your Workspace account."
            " https://support.google.com/a/answer/6140680#maildenied - gsmtp"
        ),
    ),
    rule(
        "gmail.sending_denied",
        "send.account_restricted",
        r"mail sending denied",
        provider="gmail",
        detail=(
            "Google Workspace refuses to send for this account: it is suspended, deleted or not part of the Workspace"
            " domain."
        ),
        fix=(
            "A Google Workspace administrator checks Admin console > Directory > Users for the sending user (suspended?"
            " deleted?) and restores it, or you send as an active user."
        ),
        reference="https://support.google.com/a/answer/6140680#maildenied",
        example=(
            "550 5.7.0 Mail Sending denied. This error occurs if the sender account is disabled or not registered"
            " within your Google Workspace domain. - gsmtp"
        ),
    ),
    rule(
        "gmail.bad_sender_syntax",
        "send.sender_rejected",
        r"is not a valid rfc[ -]?5321 address",
        provider="gmail",
        stages=("mail",),
        reference="https://support.google.com/a/answer/3221692",
        example=(
            "553-5.1.7 The sender address <not an address> is not a valid RFC 5321 address.\n553 5.1.7 For more"
            " information, go to https://support.google.com/a/answer/3221692 - gsmtp"
        ),
    ),
    rule(
        "gmail.not_rfc5322",
        "send.message_malformed",
        r"(messages missing a valid message-id:? header|missing a valid address in the from:? header|multiple addresses"
        r" in from:? header|is not rfc 5322 compliant)",
        provider="gmail",
        stages=("data", "message"),
        reference="https://support.google.com/mail/?p=RfcMessageNonCompliant (reply quoted in many application fixes)",
        example=(
            "550-5.7.1 [203.0.113.9] Messages missing a valid Message-ID header are not\n550-5.7.1 accepted. For more"
            " information, go to\n550 5.7.1  https://support.google.com/mail/?p=RfcMessageNonCompliant - gsmtp"
        ),
    ),
)
