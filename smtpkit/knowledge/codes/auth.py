"""Finding codes of the AUTH step: logging in to the SMTP server.

Login failures are where most people get stuck, because the server's words
("Username and Password not accepted", "5.7.139") rarely say the real cause:
an App Password is required, SMTP AUTH is switched off by an administrator,
or the client is using the wrong kind of credential. The fixes therefore name
the provider's own switch or page whenever we know the provider.

Template parameters (filled by `smtpkit.knowledge.provider_rules.classify_reply`
and by the session engine): host, port, username, provider_name, mechanism,
mechanisms, reply, code, enhanced, scope, status, limits.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

_GMAIL_APP_PW = (
    "Turn on 2-Step Verification for the Google account, then create an App Password "
    "(Google Account > Security > 2-Step Verification > App passwords, or https://myaccount.google.com/apppasswords) "
    "and use those 16 characters, without spaces, as the SMTP password for {username}. "
    "On Google Workspace, an administrator may have to allow App Passwords first; otherwise use OAuth 2.0 (XOAUTH2)."
)
_YAHOO_APP_PW = (
    "Create an app password at Yahoo Account security > Generate app password and use it as the SMTP password "
    "(username: the full Yahoo address). Yahoo refuses the normal account password over SMTP."
)
_O365_ENABLE = (
    "Ask a Microsoft 365 administrator to enable SMTP AUTH for this mailbox: Microsoft 365 admin center > Users >"
    " Active users > {username} > Mail > Manage email apps > tick 'Authenticated SMTP', or in Exchange Online"
    " PowerShell `Set-CASMailbox -Identity {username} -SmtpClientAuthenticationDisabled $false`. If the whole tenant"
    " has it off: `Set-TransportConfig -SmtpClientAuthenticationDisabled $false`. Changes can take up to an hour. Long"
    " term, switch the application to OAuth 2.0 (XOAUTH2): Microsoft is retiring Basic authentication for SMTP AUTH."
)

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="auth.not_offered",
        severity=Severity.FAIL,
        step="auth",
        title="The server does not offer AUTH here",
        explanation=(
            "The server's EHLO reply lists no AUTH mechanisms, so there is no way to log in on this connection. "
            "Submission servers usually offer AUTH only after STARTTLS, only on the submission ports 587/465, "
            "or only to clients they do not already trust. Port 25 between mail servers normally has no AUTH at all."
        ),
        fix=(
            "Use the submission port with encryption: 587 with STARTTLS or 465 with implicit TLS, and check the EHLO "
            "reply after TLS. If it still lists no AUTH, the server (or a firewall doing 'SMTP inspection') does not "
            "accept logins from you: ask its administrator to enable authenticated submission."
        ),
        provider_fixes={
            "office365": (
                "Use smtp.office365.com port 587 with STARTTLS; AUTH appears only after STARTTLS. If it is still"
                " missing, SMTP AUTH is disabled for the organisation: an administrator runs `Set-TransportConfig"
                " -SmtpClientAuthenticationDisabled $false`."
            ),
            "gmail": (
                "Use smtp.gmail.com port 587 with STARTTLS or port 465 with TLS; AUTH is offered after TLS."
                " aspmx.l.google.com (port 25) is Gmail's inbound server and never offers AUTH."
            ),
        },
        reference="RFC 4954 §3",
    ),
    FindingSpec(
        code="auth.requires_tls",
        severity=Severity.FAIL,
        step="auth",
        title="The server requires TLS before login",
        explanation=(
            "The server refused to go on over an unencrypted connection ({reply}). It wants the connection switched to "
            "TLS (STARTTLS) before AUTH or MAIL, so that passwords and mail are never sent in clear text."
        ),
        fix=(
            "Enable STARTTLS in the client (often called 'TLS', 'STARTTLS' or 'Use secure connection: TLS') on port "
            "{port}, or use port 465 with implicit TLS ('SSL'). Do not disable encryption to make the error go away."
        ),
        provider_fixes={
            "gmail": (
                "Use smtp.gmail.com with STARTTLS on port 587 (or implicit TLS on 465): Gmail never accepts AUTH or"
                " mail without TLS."
            ),
            "office365": "Use smtp.office365.com port 587 with STARTTLS and TLS 1.2 or newer.",
            "ses": (
                "Use STARTTLS on port 587 or 2587 (or implicit TLS on 465/2465) with your SES SMTP endpoint; SES"
                " refuses AUTH without TLS."
            ),
        },
        reference="RFC 3207; RFC 4954 §4 (530 5.7.0)",
    ),
    FindingSpec(
        code="auth.plaintext_refused",
        severity=Severity.FAIL,
        step="auth",
        title="We did not send the password over an unencrypted connection",
        explanation=(
            "The connection to {host}:{port} is not encrypted, so the password would cross the network readable by "
            "anyone on the path (AUTH PLAIN and LOGIN are only base64, which is not encryption). smtpkit refuses to "
            "send credentials in clear text unless you explicitly allow it."
        ),
        fix=(
            "Use STARTTLS (port 587) or implicit TLS (port 465). Only on a trusted lab network, and if you accept the "
            "risk, allow it explicitly: tick the form's 'More settings: Allow sending the password without "
            "encryption' box (--insecure-allow-plaintext-auth on the command line, allow_plaintext_auth=True in "
            "Python)."
        ),
        reference="RFC 4954 §4; RFC 8314",
    ),
    FindingSpec(
        code="auth.mechanism_unsupported",
        severity=Severity.FAIL,
        step="auth",
        title="No usable login method",
        explanation=(
            "There is no login method that both this client and the server accept: we can use {mechanism}, the server "
            "offers {mechanisms} (or refused the one we tried). Mechanisms need matching credentials (XOAUTH2 needs an "
            "OAuth access token, not a password), and some servers switch PLAIN/LOGIN off on purpose."
        ),
        fix=(
            "Choose a mechanism the server lists: PLAIN or LOGIN for a password, XOAUTH2 for an OAuth token. If the "
            "server lists only XOAUTH2/OAUTHBEARER, password login is switched off: obtain an OAuth 2.0 access token "
            "(scope for SMTP) and pass it with --oauth-token-env."
        ),
        provider_fixes={
            "office365": (
                "If only XOAUTH2 is accepted, password (Basic) authentication is blocked for the mailbox: register an"
                " app in Microsoft Entra ID, grant the SMTP.Send permission and log in with XOAUTH2 and a token for"
                " https://outlook.office365.com/.default."
            ),
            "gmail": (
                "Gmail accepts PLAIN/LOGIN only with an App Password; otherwise use XOAUTH2 with a token for the scope"
                " https://mail.google.com/."
            ),
        },
        reference="RFC 4954 §4 (504, 534 5.7.9)",
    ),
    FindingSpec(
        code="auth.bad_credentials",
        severity=Severity.FAIL,
        step="auth",
        title="Username or password rejected",
        explanation=(
            "The server rejected the login for {username} ({reply}). Either the username or the password is wrong, or"
            " the account needs a different kind of password for SMTP (an app password, an API key, SMTP credentials)."
            " Servers deliberately do not say which part is wrong."
        ),
        fix=(
            "Check the username (usually the full email address) and type the password again without leading or "
            "trailing spaces. If the account has two-factor authentication, create an app-specific password. Avoid "
            "retrying in a loop: repeated failures lock the account for a while."
        ),
        provider_fixes={
            "gmail": "Gmail refuses the normal account password over SMTP. " + _GMAIL_APP_PW,
            "yahoo": _YAHOO_APP_PW,
            "office365": (
                "Check the password by signing in at https://outlook.office.com with {username}. If that works, the"
                " account may require MFA (use an app password if your tenant allows them, or OAuth 2.0) or SMTP AUTH"
                " may be disabled for the mailbox: " + _O365_ENABLE
            ),
            "outlook": (
                "Outlook.com no longer accepts the account password over SMTP for most accounts: use a mail client or"
                " library that signs in with OAuth 2.0 (XOAUTH2)."
            ),
            "ses": (
                "Amazon SES needs SMTP credentials, not IAM access keys: SES console > SMTP settings > Create SMTP"
                " credentials, then use the SMTP user name and SMTP password shown (once) there, in the same region as"
                " the endpoint {host}. New credentials can take a few minutes to start working."
            ),
            "sendgrid": (
                "SendGrid's username is the literal word `apikey` and the password is an API key that starts with SG."
                " and has the Mail Send permission (Settings > API Keys). An API key ID or a revoked key is refused."
            ),
            "mailgun": (
                "Use the SMTP credentials of your sending domain (Sending > Domain settings > SMTP credentials), e.g."
                " postmaster@mg.example.com, and reset its password there if unsure. The account password and the API"
                " key do not work for SMTP. EU domains use smtp.eu.mailgun.org."
            ),
        },
        reference="RFC 4954 §6 (535 5.7.8)",
    ),
    FindingSpec(
        code="auth.app_password_required",
        severity=Severity.FAIL,
        step="auth",
        title="An app password is required",
        explanation=(
            "The account is protected by two-step verification (or the provider forbids normal passwords for mail "
            "programs), so the server refuses the account password over SMTP ({reply}). It needs an app-specific "
            "password generated for this purpose."
        ),
        fix=(
            "Generate an app-specific password in the account's security settings and use it as the SMTP password; "
            "keep the username unchanged."
        ),
        provider_fixes={
            "gmail": _GMAIL_APP_PW,
            "yahoo": _YAHOO_APP_PW,
            "office365": (
                "If your tenant allows app passwords (per-user MFA), create one at"
                " https://mysignins.microsoft.com/security-info > Add sign-in method > App password; otherwise SMTP"
                " AUTH needs OAuth 2.0."
            ),
        },
        reference="https://support.google.com/accounts/answer/185833",
    ),
    FindingSpec(
        code="auth.smtp_auth_disabled",
        severity=Severity.FAIL,
        step="auth",
        title="SMTP login is switched off by policy",
        explanation=(
            "The server refused the login because a policy forbids password logins over SMTP for this account or "
            "organisation ({reply}) — not because the password is wrong."
        ),
        fix=(
            "Ask the mail administrator to allow authenticated SMTP submission for {username}, or switch the "
            "application to OAuth 2.0."
        ),
        provider_fixes={"office365": _O365_ENABLE},
        reference="https://aka.ms/smtp_auth_disabled",
    ),
    FindingSpec(
        code="auth.oauth_token_invalid",
        severity=Severity.FAIL,
        step="auth",
        title="The OAuth access token was refused",
        explanation=(
            "The server rejected the XOAUTH2 login. Its error said status {status} for scope {scope}: the access token "
            "is expired, was issued for another scope or account, or is not an access token at all (an ID token, a "
            "refresh token or a password)."
        ),
        fix=(
            "Obtain a fresh access token (they typically expire after one hour) for the scope shown above, issued for "
            "{username}, and pass it with --oauth-token-env. Use the access token, "
            "not the refresh token."
        ),
        provider_fixes={
            "gmail": (
                "Request the scope https://mail.google.com/ for {username} and use the access token (valid ~1 hour);"
                " refresh it with the refresh token. On Workspace, the app must be allowed by the admin."
            ),
            "office365": (
                "Request a token for https://outlook.office365.com/.default (or SMTP.Send) for {username}; the app"
                " registration needs the SMTP.Send permission and the mailbox needs SMTP AUTH enabled (`Set-CASMailbox"
                " -Identity {username} -SmtpClientAuthenticationDisabled $false`)."
            ),
            "outlook": "Request a token with the scope https://outlook.office.com/SMTP.Send for {username}.",
        },
        reference="https://developers.google.com/gmail/imap/xoauth2-protocol",
    ),
    FindingSpec(
        code="auth.too_many_attempts",
        severity=Severity.FAIL,
        step="auth",
        title="Too many login attempts: temporarily locked out",
        explanation=(
            "The server is refusing logins for now because there were too many in a short time ({reply}). Each new "
            "connection that logs in counts; an application that opens one connection per message hits this quickly, "
            "and wrong passwords count double."
        ),
        fix=(
            "Stop retrying for at least 15 minutes (some providers lock for an hour). Fix the password first if it is "
            "wrong, then make the application reuse one authenticated connection for several messages instead of "
            "logging in for each."
        ),
        provider_fixes={
            "gmail": (
                "Wait, then reuse one SMTP connection for many messages. If it persists, sign in to the account at"
                " https://mail.google.com once and check Security > Recent activity; App Passwords also count against"
                " the login rate."
            ),
            "yahoo": (
                "Yahoo returns this even on the first try when the normal password is used: "
                + _YAHOO_APP_PW
                + " Then wait an hour before retrying."
            ),
        },
        reference="RFC 4954 §6 (454 4.7.0)",
    ),
    FindingSpec(
        code="auth.malformed_challenge",
        severity=Severity.FAIL,
        step="auth",
        title="The server's login challenge was malformed",
        explanation=(
            "During AUTH the server sent a 334 challenge that is not valid base64 or not what the mechanism expects "
            "({reply}). That is a server bug or a proxy mangling the conversation; no credentials were sent in reply."
        ),
        fix=(
            "Try another mechanism (PLAIN instead of LOGIN or CRAM-MD5). If a firewall or antivirus does 'SMTP "
            "inspection', turn that off for this connection, or report the transcript to the server's administrator."
        ),
        reference="RFC 4954 §4",
    ),
    FindingSpec(
        code="auth.account_disabled",
        severity=Severity.FAIL,
        step="auth",
        title="The account is disabled or blocked",
        explanation=(
            "The server says {username} itself is disabled, locked or blocked ({reply}); no password "
            "would work until that is lifted."
        ),
        fix=(
            "Sign in to the account in a web browser to see why it is blocked (security check, unpaid plan, "
            "suspected compromise) and follow the provider's steps; a business account needs its administrator."
        ),
        provider_fixes={
            "office365": (
                "An administrator checks Microsoft 365 admin center > Users (sign-in blocked?) and Microsoft Defender >"
                " Email & collaboration > Review > Restricted entities (blocked from sending after suspected spam),"
                " unblocks the user and resets the password."
            ),
            "gmail": (
                "Sign in at https://mail.google.com and complete any security check; a Workspace admin checks Admin"
                " console > Users for a suspended user."
            ),
        },
        reference="RFC 5248 (X.7.13 User Account Disabled)",
    ),
    FindingSpec(
        code="auth.web_login_required",
        severity=Severity.FAIL,
        step="auth",
        title="Google wants a browser sign-in first",
        explanation=(
            "Google blocked this sign-in as suspicious ({reply}): a login from a new place or program, or a normal "
            "password where an App Password is required. It will refuse SMTP logins until someone signs in to the "
            "account in a browser and confirms it."
        ),
        fix=(
            "Sign in to the account at https://mail.google.com from a browser and confirm the security alert. "
            "Then use an App Password for SMTP (Google Account > Security > 2-Step Verification > App passwords) "
            "rather than the account password."
        ),
        reference="https://support.google.com/mail/answer/78754",
    ),
    FindingSpec(
        code="auth.tempfail",
        severity=Severity.WARN,
        step="auth",
        title="Login failed for a temporary reason",
        explanation=(
            "The server could not check the credentials right now ({reply}). A 4xx reply means the problem is on the "
            "server's side or temporary (a login back-end down, throttling); the credentials may well be correct."
        ),
        fix=(
            "Wait a few minutes and try again. If it persists for more than an hour, contact the provider's support"
            " with the reply text and the time."
        ),
        reference="RFC 4954 §6 (454 4.7.0)",
    ),
    FindingSpec(
        code="auth.rejected",
        severity=Severity.FAIL,
        step="auth",
        title="The server refused the login",
        explanation=(
            "The server refused the login with a reply we have no specific rule for ({reply}): it answered the AUTH "
            "command or our answers to its prompts (user name, password) with a refusal. What the reply and enhanced "
            "codes mean follows."
        ),
        fix=(
            "Read the server's text in the evidence; check the username, password and login method. If it names a"
            " policy, ask the server's administrator with this exact reply."
        ),
        reference="RFC 4954",
    ),
    FindingSpec(
        code="auth.tls_version_rejected",
        severity=Severity.FAIL,
        step="auth",
        title="The server refuses this old TLS version",
        explanation=(
            "The server refused the session because the TLS connection uses TLS 1.0 or 1.1 ({reply}); it requires "
            "TLS 1.2 or newer."
        ),
        fix=(
            "Update the sending program or its TLS library (OpenSSL, .NET, Java) so it negotiates TLS 1.2 or 1.3. On "
            "old Windows/.NET, enable TLS 1.2 (SchUseStrongCrypto) or upgrade the framework."
        ),
        provider_fixes={
            "office365": (
                "Exchange Online requires TLS 1.2 for SMTP AUTH on smtp.office365.com. Update the device or"
                " application; as a temporary measure an administrator can allow old clients on the legacy endpoint"
                " (Set-TransportConfig -AllowLegacyTLSClients $true and use smtp-legacy.office365.com)."
            ),
        },
        reference="https://aka.ms/smtp_auth_tls",
    ),
]
