"""Reply rules: Microsoft 365 / Exchange Online.

Each rule carries the real reply text it was written from (`example`) and
where that text was seen (`reference`); `smtpkit.knowledge.rules` discovers
this module and matches its rules in `ORDER` (providers first, generic last).
"""

from __future__ import annotations

from smtpkit.knowledge.rules import ReplyRule, rule

ORDER = 20

_MS_SMTP_AUTH = (
    "https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission"
)
_MS_NDR = "https://learn.microsoft.com/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/non-delivery-reports-in-exchange-online"

RULES: tuple[ReplyRule, ...] = (
    rule(
        "office365.smtp_auth_disabled_tenant",
        "auth.smtp_auth_disabled",
        r"smtpclientauthentication is disabled for the tenant",
        provider="office365",
        stages=("auth",),
        detail=(
            "SMTP AUTH is switched off for the whole Microsoft 365 organisation (the default for tenants created since"
            " 2020). The password may be perfectly correct."
        ),
        fix=(
            "A Microsoft 365 administrator enables it for the organisation, or better only for this mailbox: Exchange"
            " admin center > Settings > Mail flow > untick 'Turn off SMTP AUTH protocol for your organization', or in"
            " Exchange Online PowerShell `Set-TransportConfig -SmtpClientAuthenticationDisabled $false` (organisation)"
            " / `Set-CASMailbox -Identity {username} -SmtpClientAuthenticationDisabled $false` (this mailbox only, wins"
            " over the organisation setting). Allow up to an hour; Security defaults must also be off for Basic"
            " authentication to work."
        ),
        reference="https://github.com/simonrob/email-oauth2-proxy/issues/193; https://aka.ms/smtp_auth_disabled",
        example=(
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit"
            " https://aka.ms/smtp_auth_disabled for more information. [MN2PR05CA0004.namprd05.prod.outlook.com"
            " 2023-09-12T20:59:57.214Z 08DBB276B7E699C4]"
        ),
    ),
    rule(
        "office365.smtp_auth_disabled_mailbox",
        "auth.smtp_auth_disabled",
        r"smtpclientauthentication is disabled for the mailbox",
        provider="office365",
        stages=("auth",),
        detail=(
            "SMTP AUTH is switched off for this one mailbox. This applies to OAuth (XOAUTH2) logins too, and Microsoft"
            " has turned it off for some personal Outlook.com mailboxes."
        ),
        fix=(
            "A Microsoft 365 administrator ticks 'Authenticated SMTP' for the mailbox: Microsoft 365 admin center >"
            " Users > Active users > {username} > Mail > Manage email apps, or `Set-CASMailbox -Identity {username}"
            " -SmtpClientAuthenticationDisabled $false`. Allow up to an hour. For a personal Outlook.com mailbox there"
            " is no switch: send through Microsoft Graph or another provider."
        ),
        reference=_MS_SMTP_AUTH + " (reply text also in project READMEs and issue trackers)",
        example=(
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit"
            " https://aka.ms/smtp_auth_disabled for more information. [AM0PR02CA0123.eurprd02.prod.outlook.com"
            " 2024-05-02T08:11:43.123Z 08DC6A1B2C3D4E5F]"
        ),
    ),
    rule(
        "office365.basic_auth_disabled",
        "auth.smtp_auth_disabled",
        r"basic authentication is disabled",
        provider="office365",
        stages=("auth",),
        detail=(
            "The password itself is not the problem: Microsoft 365 no longer accepts username+password (Basic"
            " authentication) for this account, because of Security defaults, an authentication policy, or Microsoft's"
            " retirement of Basic authentication for SMTP AUTH. App passwords use the same Basic path and are refused"
            " too."
        ),
        fix=(
            "Switch the application to OAuth 2.0 (XOAUTH2): register an app in Microsoft Entra ID with the SMTP.Send"
            " permission and log in with an access token. If the application cannot do OAuth, use another sending path"
            " (a connector-based SMTP relay from a fixed IP, or a transactional email service)."
        ),
        reference="https://github.com/rpremraj/mailR/issues/107; https://github.com/nodemailer/nodemailer/issues/1714",
        example=(
            "535 5.7.139 Authentication unsuccessful, basic authentication is disabled."
            " [PN0PR01CA0024.INDPRD01.PROD.OUTLOOK.COM 2025-01-26T18:54:30.055Z 08DD3DD7D75D7743]"
        ),
    ),
    rule(
        "office365.criteria_not_met",
        "auth.smtp_auth_disabled",
        r"request did not meet the criteria to be authenticated successfully",
        provider="office365",
        stages=("auth",),
        detail=(
            "Microsoft Entra ID refused the sign-in by policy: a Conditional Access policy (location, device, MFA"
            " requirement) or Security defaults blocked this legacy SMTP login, or SMTP AUTH is off for the mailbox."
        ),
        fix=(
            "An administrator looks up this sign-in in Microsoft Entra admin center > Sign-in logs (filter by"
            " {username}, client app 'Authenticated SMTP') to see which policy failed, then excludes this account from"
            " it or moves the application to OAuth 2.0; also check 'Authenticated SMTP' is enabled for the mailbox"
            " (`Set-CASMailbox -Identity {username} -SmtpClientAuthenticationDisabled $false`)."
        ),
        reference=(
            "https://github.com/gophish/gophish/issues/3220; https://docs.bookyourpto.com/features/smtp-troubleshoot"
        ),
        example=(
            "535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated"
            " successfully. Contact your administrator. [MN2PR07CA0004.namprd07.prod.outlook.com"
            " 2024-08-13T18:27:55.030Z 08DCBB430284475F]"
        ),
    ),
    rule(
        "office365.security_defaults",
        "auth.smtp_auth_disabled",
        r"locked by your organization'?s security defaults policy",
        provider="office365",
        stages=("auth",),
        detail=(
            "The tenant has Security defaults turned on, which blocks legacy authentication such as SMTP AUTH with a"
            " password for every user."
        ),
        fix=(
            "Either move the application to OAuth 2.0 (recommended), or an administrator turns off Security defaults"
            " (Microsoft Entra admin center > Identity > Overview > Properties > Manage security defaults) and replaces"
            " them with Conditional Access policies that exclude only this sending account from the"
            " legacy-authentication block."
        ),
        reference="https://docs.bookyourpto.com/features/smtp-troubleshoot",
        example=(
            "535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy."
            " Contact your administrator. [BN9PR03CA0123.namprd03.prod.outlook.com 2024-02-01T10:00:00.000Z"
            " 08DC1234ABCD5678]"
        ),
    ),
    rule(
        "office365.credentials_incorrect",
        "auth.bad_credentials",
        r"the user credentials were incorrect",
        provider="office365",
        stages=("auth",),
        detail="Unlike the other 5.7.139 replies, this one really means the username or password is wrong.",
        reference=(
            "text as asserted in public SMTP-classifier test suites (find it with 'the user credentials were incorrect'"
            " 5.7.139)"
        ),
        example=(
            "535 5.7.139 Authentication unsuccessful, the user credentials were incorrect."
            " [SN4PR0501CA0054.namprd05.prod.outlook.com]"
        ),
    ),
    rule(
        "office365.account_locked",
        "auth.account_disabled",
        r"authentication unsuccessful, account (is )?(locked|has an issue)",
        provider="office365",
        stages=("auth",),
        detail=(
            "Microsoft 365 locked the account, typically after repeated failed logins (a wrong stored password retried"
            " by a device), or flagged it ('account has an issue'). Retrying extends the lock."
        ),
        fix=(
            "Stop the device or application from retrying, then have an administrator check Microsoft Entra admin"
            " center > Users > {username} (sign-in blocked? risky user?) and the Sign-in logs; unlock or reset the"
            " password, update it everywhere it is stored, and only then retry."
        ),
        reference=(
            "reply text quoted from production logs in public repositories ('535 5.7.139 Authentication unsuccessful,"
            " account locked.')"
        ),
        example=(
            "535 5.7.139 Authentication unsuccessful, account locked. Contact your administrator."
            " [CH2PR19CA0002.namprd19.prod.outlook.com 2026-08-28T19:45:50.437Z 08DF04C6D9A404E7]"
        ),
    ),
    rule(
        "office365.auth_unsuccessful",
        "auth.bad_credentials",
        r"authentication unsuccessful",
        provider="office365",
        stages=("auth",),
        enhanced=("5.7.3",),
        detail=(
            "Exchange's 5.7.3 is its generic 'login failed': a wrong password, an account that needs MFA, or Basic"
            " authentication / SMTP AUTH being blocked for the account."
        ),
        reference="https://github.com/jstedfast/MailKit/issues/700; https://github.com/jstedfast/MailKit/issues/1532",
        example="535 5.7.3 Authentication unsuccessful [BN3PR03CA0067.namprd03.prod.outlook.com]",
    ),
    rule(
        "office365.client_not_authenticated",
        "send.unauthenticated",
        r"client (was )?not authenticated to send",
        provider="office365",
        names_provider=False,
        detail=(
            "Microsoft 365 (and Exchange) saw MAIL FROM on a session that is not logged in. Either the client never"
            " sent AUTH, or its login failed and it went on anyway (the real reason then is an earlier 5.7.139 or 5.7.3"
            " reply in the transcript)."
        ),
        reference=(
            "https://github.com/MicrosoftDocs/OfficeDocs-Exchange/issues/3124;"
            " https://docs.bookyourpto.com/features/smtp-troubleshoot"
        ),
        example=(
            "530 5.7.57 Client not authenticated to send mail. [BN0PR04CA0042.namprd04.prod.outlook.com"
            " 2024-03-05T09:12:00.000Z 08DC3C1D2E3F4A5B]"
        ),
    ),
    rule(
        "office365.send_as_denied",
        "send.sender_not_owned",
        r"sendasdenied; \S+ not allowed to send as",
        provider="office365",
        reference="https://github.com/gophish/gophish/issues/2900",
        example=(
            "554 5.2.252 SendAsDenied; alice@contoso.com not allowed to send as security@example.com;"
            " STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message"
            " due to a permanent exception with message [BeginDiagnosticData]Cannot submit message. 0.35250:1F009983,"
            " 1.36674:0A000000"
        ),
    ),
    rule(
        "office365.no_send_as_permission",
        "send.sender_not_owned",
        r"client does not have permissions? to send as this sender",
        provider="office365",
        reference="https://github.com/nodemailer/nodemailer/issues/145; https://github.com/gophish/gophish/issues/2480",
        example=(
            "550 5.7.60 SMTP; Client does not have permissions to send as this sender."
            " [DM6PR04MB1234.namprd04.prod.outlook.com 2024-01-10T12:00:00.000Z 08DC1234ABCD5678]"
        ),
    ),
    rule(
        "office365.submission_quota",
        "send.daily_limit_exceeded",
        r"submissionquotaexceededexception",
        provider="office365",
        detail=(
            "The mailbox exceeded Exchange Online's sending limit (10,000 recipients a day; 30 messages a minute are"
            " throttled rather than refused)."
        ),
        reference="https://github.com/MicrosoftDocs/OfficeDocs-Support/issues/1150",
        example=(
            "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to"
            " a permanent exception with message Cannot submit message."
        ),
    ),
    rule(
        "office365.server_busy",
        "send.rate_limited",
        r"server busy",
        provider="office365",
        enhanced=("4.7.5*", "4.7.6*", "5.7.5*"),
        detail=(
            "Exchange Online Protection is throttling your IP address or tenant (codes 4.7.500-4.7.699); it is not a"
            " hard block and clears on its own if you send more slowly."
        ),
        reference=(
            "https://knowledge.broadcom.com/external/article/274850;"
            " https://support.smartfense.com/hc/en-us/articles/14217721708443"
        ),
        example=(
            "451 4.7.500 Server busy. Please try again later from [203.0.113.9]. (S77719)"
            " [BN8NAM12FT052.eop-nam12.prod.protection.outlook.com]"
        ),
    ),
    rule(
        "office365.ip_not_accepted",
        "send.ip_blocklisted",
        r"traffic not accepted from this ip",
        provider="office365",
        detail=(
            "Microsoft refuses mail from this IP address because of its reputation; new and trial tenants get this"
            " until they build a sending history, and compromised accounts cause it too."
        ),
        reference="https://mxio.io/learn/errors/ip-blocked-o365-5-7-708",
        example=(
            "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For more information"
            " please go to http://go.microsoft.com/fwlink/?LinkId=526653 AS(7171)"
            " [BN8NAM12FT032.eop-nam12.prod.protection.outlook.com]"
        ),
    ),
    rule(
        "office365.banned_ip",
        "send.ip_blocklisted",
        r"access denied, banned sending ip",
        provider="office365",
        reference=(
            "https://learn.microsoft.com/defender-office-365/"
            "external-senders-use-the-delist-portal-to-unblock-themselves; "
        )
        + _MS_NDR,
        example=(
            "550 5.7.606 Access denied, banned sending IP [203.0.113.9]. To request removal from this list please visit"
            " https://sender.office.com/ and follow the directions. For more information please go to"
            " http://go.microsoft.com/fwlink/?LinkID=526655 AS(1430)"
            " [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]"
        ),
    ),
    rule(
        "office365.ip_reputation",
        "send.rate_limited",
        r"temporarily rate limited due to ip reputation",
        provider="office365",
        reference=(
            "https://postmaster.live.com;"
            " https://github.com/sisimai/p5-sisimai/blob/master/lib/Sisimai/Rhost/Microsoft.pm"
        ),
        example=(
            "451 4.7.650 The mail server [203.0.113.9] has been temporarily rate limited due to IP reputation. For"
            " e-mail delivery information, see https://postmaster.live.com (S775)"
            " [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]"
        ),
    ),
    rule(
        "office365.tls_outdated",
        "auth.tls_version_rejected",
        r"tls 1\.0 and 1\.1 are not supported",
        provider="office365",
        reference=(
            "https://aka.ms/smtp_auth_tls;"
            " https://m365scripts.com/security/opt-in-to-the-exchange-online-endpoint-for-legacy-tls-clients-using-smtp-auth/"
        ),
        example=(
            "421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. Visit"
            " https://aka.ms/smtp_auth_tls. [AM6P192CA0012.EURP192.PROD.OUTLOOK.COM]"
        ),
    ),
    rule(
        "office365.external_forwarding",
        "send.policy_rejected",
        r"does not allow external forwarding",
        provider="office365",
        detail=(
            "This is the sending Microsoft 365 organisation's own outbound spam policy: automatic forwarding (an inbox"
            " rule or mailbox forwarding) to an outside address is blocked. The recipient's side did nothing wrong."
        ),
        fix=(
            "If the forward is wanted, a Microsoft 365 administrator creates an outbound anti-spam policy for this"
            " mailbox with 'Automatic forwarding rules' set to On (Microsoft Defender portal > Email & collaboration >"
            " Policies & rules > Threat policies > Anti-spam > Create policy > Outbound). Otherwise remove the"
            " forwarding rule."
        ),
        reference="https://learn.microsoft.com/defender-office-365/outbound-spam-policies-external-email-forwarding",
        example=(
            "550 5.7.520 Access denied, Your organization does not allow external forwarding. Please contact your"
            " administrator for further assistance. AS(7555)"
        ),
    ),
    rule(
        "office365.bad_outbound_sender",
        "send.blocked_spam",
        r"access denied, bad outbound sender",
        provider="office365",
        detail=(
            "Microsoft 365 blocked this user from sending because the account sent mail that looked like spam; usually"
            " a sign the account was compromised."
        ),
        reference=_MS_NDR,
        example="550 5.1.8 Access denied, bad outbound sender. AS(42) [AM0PR02MB1234.eurprd02.prod.outlook.com]",
    ),
    rule(
        "office365.dmarc_failed",
        "send.unauthenticated",
        r"does not pass dmarc verification",
        provider="office365",
        stages=("rcpt", "data", "message"),
        detail=(
            "The From domain's DMARC check failed at Microsoft: neither SPF nor DKIM passed for a domain aligned with"
            " the From address."
        ),
        fix=(
            "Authenticate the From domain: include your sending service in its SPF record, sign with DKIM for that"
            " domain, and check alignment with `smtpkit domain <domain>`."
        ),
        reference=_MS_NDR,
        example=(
            "550 5.7.509 Access denied, sending domain example.com does not pass DMARC verification and has a DMARC"
            " policy of reject. [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]"
        ),
    ),
    rule(
        "office365.tenant_attribution",
        "send.relay_denied",
        r"tenantattribution; relay access denied",
        provider="office365",
        detail=(
            "Exchange Online could not attribute this connection to your tenant: mail is being relayed through"
            " Microsoft 365 without a matching inbound connector (sending IP or certificate), or to a domain that is"
            " not hosted there."
        ),
        fix=(
            "For a device or application relaying through Microsoft 365: create (or fix) an inbound connector from"
            " 'Your organization's email server' that identifies it by its static public IP address or by the"
            " certificate name it presents (Exchange admin center > Mail flow > Connectors), and send with a From"
            " address in one of your accepted domains. Otherwise log in with SMTP AUTH on smtp.office365.com:587."
        ),
        reference="https://learn.microsoft.com/exchange/mail-flow-best-practices/how-to-set-up-a-multifunction-device-or-application-to-send-email-using-microsoft-365-or-office-365",
        example="550 5.7.64 TenantAttribution; Relay Access Denied [SN1PEPF000252A1.namprd05.prod.outlook.com]",
    ),
    rule(
        "office365.unregistered_domain",
        "send.account_restricted",
        r"client blocked from sending from unregistered domains?",
        provider="office365",
        detail=(
            "Microsoft 365 blocks a tenant that sends a lot of mail from domains it has not added and verified (a sign"
            " of compromise or misuse)."
        ),
        fix=(
            "Add and verify every domain you send from as an accepted domain (Microsoft 365 admin center > Settings >"
            " Domains), send only with From addresses in those domains, and if the tenant stays blocked open a case"
            " with Microsoft support."
        ),
        reference=_MS_NDR
        + "; reply text as quoted in Microsoft Learn 'Understanding and troubleshooting Out of Office (OOF) replies'",
        example=(
            "550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains."
            " [DM6NAM12FT012.eop-nam12.prod.protection.outlook.com]"
        ),
    ),
    rule(
        "office365.recipient_not_found",
        "send.recipient_unknown",
        r"(recipientnotfound|recipient not found by smtp address lookup)",
        provider="office365",
        stages=("rcpt", "data", "message"),
        reference=_MS_NDR,
        example=(
            "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient nobody@contoso.com not found by SMTP address lookup"
        ),
    ),
    rule(
        "office365.edge_blocked",
        "send.recipient_unknown",
        r"recipient address rejected: access denied\. as\(201806281\)",
        provider="office365",
        stages=("rcpt",),
        detail=(
            "Microsoft 365's Directory-Based Edge Blocking refused the address because no such recipient exists in the"
            " organisation's directory."
        ),
        reference="https://learn.microsoft.com/exchange/mail-flow-best-practices/use-directory-based-edge-blocking",
        example=(
            "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)"
            " [BN8NAM12FT040.eop-nam12.prod.protection.outlook.com]"
        ),
    ),
    rule(
        "office365.spam_abuse",
        "send.blocked_spam",
        r"access denied, spam abuse detected",
        provider="office365",
        reference="https://github.com/dougperkes/Visual-Graph-Explorer/issues/1; " + _MS_NDR,
        example=(
            "550 5.7.501 Access denied, spam abuse detected. For more information please go to"
            " http://go.microsoft.com/fwlink/?LinkId=526653"
        ),
    ),
)
