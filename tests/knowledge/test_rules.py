"""The provider reply rules: every rule fed the real reply text it was written from.

`CASES` is written out here rather than read from the rules' own `example`
fields, so a rule whose pattern is broken, shadowed by another rule, or
deleted makes a row fail; and `test_every_rule_is_exercised` fails when a rule
exists that no row reaches.
"""

from __future__ import annotations

import base64
import json

import pytest

from smtpkit.knowledge import finding
from smtpkit.knowledge.catalogue import catalogue
from smtpkit.knowledge.presets import preset_keys
from smtpkit.knowledge.replies import parse_reply_text
from smtpkit.knowledge.rules import (
    RULES,
    STAGES,
    classify_reply,
    decode_xoauth2_error,
    match_rule,
    rules_frame,
    stage_step,
)
from smtpkit.model import Severity

# (rule name, stage, provider given to classify_reply, reply as on the wire, expected finding code)
CASES: list[tuple[str, str, str | None, str, str]] = [
    # Gmail
    (
        "gmail.bad_credentials",
        "auth",
        None,
        (
            "535-5.7.8 Username and Password not accepted. Learn more at\n535 5.7.8 "
            " https://support.google.com/mail/?p=BadCredentials lf4-20020a170902fb4400b0019b4ee071ddsm4794plb.2999 -"
            " gsmtp"
        ),
        "auth.bad_credentials",
    ),
    (
        "gmail.app_password_required",
        "auth",
        None,
        (
            "534-5.7.9 Application-specific password required. For more information, go to\n534 5.7.9 "
            " https://support.google.com/mail/?p=InvalidSecondFactor ffacd0b85a97d-368119970e7sm1809147f8f.21 - gsmtp"
        ),
        "auth.app_password_required",
    ),
    (
        "gmail.web_login_required",
        "auth",
        None,
        (
            "534-5.7.14 <https://accounts.google.com/signin/continue?sarp=1&scc=1&plt=AKgnsbv\n534-5.7.14"
            " 0U4lDuCSJuXxon4qOVzqg5qsWlmg9f5gR1X9i7LE5it4BEYv56tYsegiR4fV98gqxmZtH\n534-5.7.14"
            " _SIHoHH2dtb934SwVHHnR6LCiEFv7lwMGoaTYP_J5uFZzVJXucAqSZ1Tym_E4nfW>\n534-5.7.14 Please log in via your web"
            " browser and then try again.\n534-5.7.14  Learn more at\n534 5.7.14 "
            " https://support.google.com/mail/answer/78754 o17sm2976192qtv.45 - gsmtp"
        ),
        "auth.web_login_required",
    ),
    (
        "gmail.too_many_logins",
        "auth",
        "gmail",
        (
            "454-4.7.0 Too many login attempts, please try again later. Learn more at\n454 4.7.0 "
            " https://support.google.com/mail/answer/7126229 h6-20020a0561220b6600b0049d21a8f4b6sm1103848vkf.11 - gsmtp"
        ),
        "auth.too_many_attempts",
    ),
    (
        "gmail.auth_tempfail",
        "auth",
        None,
        "454 4.7.0 Cannot authenticate due to a temporary system problem. Try again later. - gsmtp",
        "auth.tempfail",
    ),
    (
        "gmail.auth_required",
        "mail",
        None,
        (
            "530-5.7.0 Authentication Required. Learn more at\n530 5.7.0 "
            " https://support.google.com/mail/?p=WantAuthError h5-20020a05620a244500b006bb8b5b79c1sm10716297qkn.106 -"
            " gsmtp"
        ),
        "send.unauthenticated",
    ),
    (
        "gmail.unauthenticated",
        "message",
        None,
        (
            "550-5.7.26 This mail is unauthenticated, which poses a security risk to the\n550-5.7.26 sender and Gmail"
            " users, and has been blocked. The sender must\n550-5.7.26 authenticate with at least one of SPF or DKIM."
            " For more\n550-5.7.26 information, go to\n550 5.7.26 "
            " https://support.google.com/mail/answer/81126#authentication a640c23a62f3a-a7a3c7b4fc5si213551366b.72 -"
            " gsmtp"
        ),
        "send.unauthenticated",
    ),
    (
        "gmail.unauthenticated",
        "message",
        "gmail",
        (
            "550 5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to"
            " authenticate with either SPF or DKIM. - gsmtp"
        ),
        "send.unauthenticated",
    ),
    (
        "gmail.dmarc_rejected",
        "message",
        None,
        (
            "550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's\n550-5.7.26 DMARC"
            " policy. Please contact the administrator of example.com domain\n550-5.7.26 if this was a legitimate mail."
            " To learn about the DMARC initiative, go\n550 5.7.26  to https://support.google.com/mail/?p=DmarcRejection"
            " x4si1234567wrs.321 - gsmtp"
        ),
        "send.unauthenticated",
    ),
    (
        "gmail.spf_hardfail",
        "message",
        None,
        (
            "550-5.7.26 The MAIL FROM domain [example.com] has an SPF record with a hard fail\n550-5.7.26 policy (-all)"
            " but it fails to pass SPF checks with the ip:\n550-5.7.26 [203.0.113.9]. To best protect our users from"
            " spam and phishing, the\n550 5.7.26 message has been blocked. - gsmtp"
        ),
        "send.unauthenticated",
    ),
    (
        "gmail.bulk_spf",
        "message",
        None,
        (
            "550-5.7.27 Your email has been blocked because the sender is unauthenticated.\n550-5.7.27 Gmail requires"
            " all senders to authenticate with SPF. Authentication\n550 5.7.27 results: SPF domain-name with IP"
            " address: 203.0.113.9 = Did not pass. - gsmtp"
        ),
        "send.unauthenticated",
    ),
    (
        "gmail.unusual_rate",
        "banner",
        None,
        (
            "421-4.7.0 Our system has detected an unusual rate of unsolicited mail originating\n421-4.7.0 from your IP"
            " address. To protect our users from spam, mail sent from your IP\n421-4.7.0 address has been temporarily"
            " blocked. For more information, visit\n421 4.7.0  https://support.google.com/mail/answer/188131 - gsmtp"
        ),
        "send.rate_limited",
    ),
    (
        "gmail.unusual_rate",
        "rcpt",
        None,
        (
            "421-4.7.28 Gmail has detected an unusual rate of mail originating from your SPF domain example.com.\n421"
            " 4.7.28 To protect our users from spam, mail has been temporarily rate limited. - gsmtp"
        ),
        "send.rate_limited",
    ),
    (
        "gmail.unusual_rate_blocked",
        "rcpt",
        None,
        (
            "550-5.7.1 Our system has detected an unusual rate of unsolicited mail\n550-5.7.1 originating from your IP"
            " address. To protect our users from spam, mail\n550-5.7.1 sent from your IP address has been blocked."
            " Review\n550 5.7.1 https://support.google.com/mail/answer/81126 - gsmtp"
        ),
        "send.blocked_spam",
    ),
    (
        "gmail.likely_spam",
        "message",
        None,
        (
            "550-5.7.1 [203.0.113.9] Our system has detected that this message is likely\n550-5.7.1 unsolicited mail."
            " To reduce the amount of spam sent to Gmail, this\n550-5.7.1 message has been blocked. For more"
            " information, go to\n550 5.7.1  https://support.google.com/mail/?p=UnsolicitedMessageError - gsmtp"
        ),
        "send.blocked_spam",
    ),
    (
        "gmail.daily_limit",
        "mail",
        None,
        (
            "550-5.4.5 Daily user sending limit exceeded. For more information on Gmail\n550-5.4.5 sending limits go"
            " to\n550 5.4.5  https://support.google.com/a/answer/166852 d2e1a72fcca58-7090e2c86fdsm1234567b3a.101 -"
            " gsmtp"
        ),
        "send.daily_limit_exceeded",
    ),
    (
        "gmail.relay_daily_limit",
        "rcpt",
        None,
        (
            "550 5.4.5 Daily SMTP relay limit exceeded for user. For more information on SMTP relay sending limits"
            " please contact your administrator or visit https://support.google.com/a/answer/6140680 - gsmtp"
        ),
        "send.daily_limit_exceeded",
    ),
    (
        "gmail.receiving_too_fast",
        "rcpt",
        None,
        (
            "450-4.2.1 The user you are trying to contact is receiving mail too quickly.\n450-4.2.1 Please resend your"
            " message at a later time. If the user is able to\n450-4.2.1 receive mail at that time, your message will"
            " be delivered. For more\n450 4.2.1 information, go to https://support.google.com/mail/answer/22839 - gsmtp"
        ),
        "send.rate_limited",
    ),
    (
        "gmail.mailbox_full",
        "rcpt",
        None,
        (
            "552-5.2.2 The recipient's inbox is out of storage space and inactive. Please\n552-5.2.2 direct the"
            " recipient to\n552 5.2.2  https://support.google.com/mail/?p=OverQuotaPerm z3si1234567ejx.420 - gsmtp"
        ),
        "send.mailbox_full",
    ),
    (
        "gmail.no_such_user",
        "rcpt",
        None,
        (
            "550-5.1.1 The email account that you tried to reach does not exist. Please try\n550-5.1.1 double-checking"
            " the recipient's email address for typos or\n550-5.1.1 unnecessary spaces. For more information, go"
            " to\n550 5.1.1  https://support.google.com/mail/?p=NoSuchUser d9443c01a7336-1f6a2b5c1e2si123456ad.123 -"
            " gsmtp"
        ),
        "send.recipient_unknown",
    ),
    (
        "gmail.recipient_disabled",
        "rcpt",
        None,
        (
            "550-5.2.1 The email account that you tried to reach is inactive. For more\n550-5.2.1 information, go"
            " to\n550 5.2.1  https://support.google.com/mail/?p=DisabledUser b7si123456qkf.456 - gsmtp"
        ),
        "send.recipient_unknown",
    ),
    (
        "gmail.too_large",
        "message",
        None,
        (
            "552-5.3.4 Your message exceeded Google's message size limits. Please visit\n552-5.3.4 "
            " https://support.google.com/mail/?p=MaxSizeError to view our size\n552 5.3.4 guidelines. 5si123456edb.42 -"
            " gsmtp"
        ),
        "send.message_too_large",
    ),
    (
        "gmail.ptr_missing",
        "rcpt",
        None,
        (
            "550-5.7.25 The IP address sending this message does not have a PTR record setup,\n550-5.7.25 or the"
            " corresponding forward DNS entry does not point to the sending IP.\n550-5.7.25 As a policy, Gmail does not"
            " accept messages from IPs with missing PTR\n550 5.7.25 records."
            " https://support.google.com/mail/answer/81126#ip-practices - gsmtp"
        ),
        "send.policy_rejected",
    ),
    (
        "gmail.relay_denied",
        "mail",
        None,
        (
            "550-5.7.0 Mail relay denied [203.0.113.9]. Invalid credentials for relay for\n550-5.7.0 one of the domains"
            " in: example.com (as obtained from HELO and MAIL FROM).\n550 5.7.0 Email is being sent from a domain or IP"
            " address which isn't registered in your Workspace account. - gsmtp"
        ),
        "send.relay_denied",
    ),
    (
        "gmail.sending_denied",
        "mail",
        None,
        (
            "550 5.7.0 Mail Sending denied. This error occurs if the sender account is disabled or not registered"
            " within your Google Workspace domain. - gsmtp"
        ),
        "send.account_restricted",
    ),
    (
        "gmail.bad_sender_syntax",
        "mail",
        None,
        (
            "553-5.1.7 The sender address <not an address> is not a valid RFC 5321 address.\n553 5.1.7 For more"
            " information, go to https://support.google.com/a/answer/3221692 - gsmtp"
        ),
        "send.sender_rejected",
    ),
    (
        "gmail.not_rfc5322",
        "message",
        None,
        (
            "550-5.7.1 [203.0.113.9] Messages missing a valid Message-ID header are not\n550-5.7.1 accepted. For more"
            " information, go to\n550 5.7.1  https://support.google.com/mail/?p=RfcMessageNonCompliant - gsmtp"
        ),
        "send.message_malformed",
    ),
    (
        "gmail.not_rfc5322",
        "message",
        "gmail",
        (
            "550 5.7.1 Messages missing a valid address in the From: header, or having no From: header, are not"
            " accepted. - gsmtp"
        ),
        "send.message_malformed",
    ),
    # Microsoft 365 / Exchange Online
    (
        "office365.smtp_auth_disabled_tenant",
        "auth",
        None,
        (
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit"
            " https://aka.ms/smtp_auth_disabled for more information. [MN2PR05CA0004.namprd05.prod.outlook.com"
            " 2023-09-12T20:59:57.214Z 08DBB276B7E699C4]"
        ),
        "auth.smtp_auth_disabled",
    ),
    (
        "office365.smtp_auth_disabled_mailbox",
        "auth",
        None,
        (
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit"
            " https://aka.ms/smtp_auth_disabled for more information. [AM0PR02CA0123.eurprd02.prod.outlook.com]"
        ),
        "auth.smtp_auth_disabled",
    ),
    (
        "office365.basic_auth_disabled",
        "auth",
        None,
        (
            "535 5.7.139 Authentication unsuccessful, basic authentication is disabled."
            " [PN0PR01CA0024.INDPRD01.PROD.OUTLOOK.COM 2025-01-26T18:54:30.055Z 08DD3DD7D75D7743]"
        ),
        "auth.smtp_auth_disabled",
    ),
    (
        "office365.criteria_not_met",
        "auth",
        None,
        (
            "535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated"
            " successfully. Contact your administrator. [MN2PR07CA0004.namprd07.prod.outlook.com"
            " 2024-08-13T18:27:55.030Z 08DCBB430284475F]"
        ),
        "auth.smtp_auth_disabled",
    ),
    (
        "office365.security_defaults",
        "auth",
        None,
        (
            "535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy."
            " Contact your administrator."
        ),
        "auth.smtp_auth_disabled",
    ),
    (
        "office365.credentials_incorrect",
        "auth",
        None,
        (
            "535 5.7.139 Authentication unsuccessful, the user credentials were incorrect."
            " [SN4PR0501CA0054.namprd05.prod.outlook.com]"
        ),
        "auth.bad_credentials",
    ),
    (
        "office365.account_locked",
        "auth",
        None,
        (
            "535 5.7.139 Authentication unsuccessful, account locked. Contact your administrator."
            " [CH2PR19CA0002.namprd19.prod.outlook.com 2026-08-28T19:45:50.437Z 08DF04C6D9A404E7]"
        ),
        "auth.account_disabled",
    ),
    (
        "office365.account_locked",
        "auth",
        "office365",
        (
            "535 5.7.139 Authentication unsuccessful, account has an issue. Contact your administrator."
            " [AM8P190CA0003.EURP190.PROD.OUTLOOK.COM]"
        ),
        "auth.account_disabled",
    ),
    (
        "office365.auth_unsuccessful",
        "auth",
        None,
        "535 5.7.3 Authentication unsuccessful [BN3PR03CA0067.namprd03.prod.outlook.com]",
        "auth.bad_credentials",
    ),
    (
        "office365.client_not_authenticated",
        "mail",
        None,
        "530 5.7.57 Client not authenticated to send mail. [BN0PR04CA0042.namprd04.prod.outlook.com]",
        "send.unauthenticated",
    ),
    (
        "office365.client_not_authenticated",
        "mail",
        "office365",
        (
            "530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM"
            " [DM5PR13CA0001.namprd13.prod.outlook.com]"
        ),
        "send.unauthenticated",
    ),
    (
        "office365.send_as_denied",
        "message",
        "office365",
        (
            "554 5.2.252 SendAsDenied; alice@contoso.com not allowed to send as security@example.com;"
            " STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message"
            " due to a permanent exception with message [BeginDiagnosticData]Cannot submit message. 0.35250:1F009983,"
            " 1.36674:0A000000"
        ),
        "send.sender_not_owned",
    ),
    (
        "office365.no_send_as_permission",
        "mail",
        None,
        (
            "550 5.7.60 SMTP; Client does not have permissions to send as this sender."
            " [DM6PR04MB1234.namprd04.prod.outlook.com]"
        ),
        "send.sender_not_owned",
    ),
    (
        "office365.no_send_as_permission",
        "mail",
        None,
        "550 5.7.1 Client does not have permissions to send as this sender",
        "send.sender_not_owned",
    ),
    (
        "office365.submission_quota",
        "message",
        None,
        (
            "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to"
            " a permanent exception with message Cannot submit message."
        ),
        "send.daily_limit_exceeded",
    ),
    (
        "office365.server_busy",
        "rcpt",
        None,
        (
            "451 4.7.500 Server busy. Please try again later from [203.0.113.9]. (S77719)"
            " [BN8NAM12FT052.eop-nam12.prod.protection.outlook.com]"
        ),
        "send.rate_limited",
    ),
    (
        "office365.ip_not_accepted",
        "rcpt",
        None,
        (
            "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For more information"
            " please go to http://go.microsoft.com/fwlink/?LinkId=526653 AS(7171)"
            " [BN8NAM12FT032.eop-nam12.prod.protection.outlook.com]"
        ),
        "send.ip_blocklisted",
    ),
    (
        "office365.banned_ip",
        "rcpt",
        None,
        (
            "550 5.7.606 Access denied, banned sending IP [203.0.113.9]. To request removal from this list please visit"
            " https://sender.office.com/ and follow the directions. AS(1430)"
        ),
        "send.ip_blocklisted",
    ),
    (
        "office365.ip_reputation",
        "mail",
        None,
        (
            "451 4.7.650 The mail server [203.0.113.9] has been temporarily rate limited due to IP reputation. For"
            " e-mail delivery information, see https://postmaster.live.com (S775)"
            " [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]"
        ),
        "send.rate_limited",
    ),
    (
        "office365.tls_outdated",
        "auth",
        None,
        (
            "421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. Visit"
            " https://aka.ms/smtp_auth_tls. [AM6P192CA0012.EURP192.PROD.OUTLOOK.COM]"
        ),
        "auth.tls_version_rejected",
    ),
    (
        "office365.external_forwarding",
        "rcpt",
        None,
        (
            "550 5.7.520 Access denied, Your organization does not allow external forwarding. Please contact your"
            " administrator for further assistance. AS(7555)"
        ),
        "send.policy_rejected",
    ),
    (
        "office365.bad_outbound_sender",
        "mail",
        None,
        "550 5.1.8 Access denied, bad outbound sender. AS(42) [AM0PR02MB1234.eurprd02.prod.outlook.com]",
        "send.blocked_spam",
    ),
    (
        "office365.dmarc_failed",
        "rcpt",
        None,
        (
            "550 5.7.509 Access denied, sending domain example.com does not pass DMARC verification and has a DMARC"
            " policy of reject."
        ),
        "send.unauthenticated",
    ),
    (
        "office365.tenant_attribution",
        "rcpt",
        None,
        "550 5.7.64 TenantAttribution; Relay Access Denied [SN1PEPF000252A1.namprd05.prod.outlook.com]",
        "send.relay_denied",
    ),
    (
        "office365.unregistered_domain",
        "message",
        None,
        (
            "550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains."
            " [DM6NAM12FT012.eop-nam12.prod.protection.outlook.com]"
        ),
        "send.account_restricted",
    ),
    (
        "office365.recipient_not_found",
        "rcpt",
        None,
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient nobody@contoso.com not found by SMTP address lookup",
        "send.recipient_unknown",
    ),
    (
        "office365.edge_blocked",
        "rcpt",
        None,
        (
            "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)"
            " [BN8NAM12FT040.eop-nam12.prod.protection.outlook.com]"
        ),
        "send.recipient_unknown",
    ),
    (
        "office365.spam_abuse",
        "message",
        None,
        (
            "550 5.7.501 Access denied, spam abuse detected. For more information please go to"
            " http://go.microsoft.com/fwlink/?LinkId=526653"
        ),
        "send.blocked_spam",
    ),
    # Outlook.com
    (
        "outlook.send_as_denied",
        "message",
        None,
        (
            "554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process"
            " message due to a permanent exception with message Cannot submit message. 0.35250:7D060000,"
            " 1.36674:0A000000, 1.61250:00000000"
        ),
        "send.sender_not_owned",
    ),
    (
        "outlook.outbound_spam",
        "message",
        None,
        (
            "554 5.2.0 STOREDRV.Submission.Exception:OutboundSpamException; Failed to process message due to a"
            " permanent exception with message WASCL UserAction verdict is not None. Actual verdict is RefuseQuota,"
            " ShowTierUpgrade. OutboundSpamException: WASCL UserAction verdict is not None. Actual verdict is"
            " RefuseQuota, ShowTierUpgrade. [Hostname=VI1PR05MB5405.eurprd05.prod.outlook.com]"
        ),
        "send.blocked_spam",
    ),
    # Yahoo
    (
        "yahoo.too_many_bad_auth",
        "auth",
        None,
        "535 5.7.0 (#AUTH005) Too many bad auth attempts.",
        "auth.too_many_attempts",
    ),
    (
        "yahoo.incorrect_password",
        "auth",
        None,
        "535 5.7.0 (#MBR1212) Incorrect username or password.",
        "auth.bad_credentials",
    ),
    (
        "yahoo.spamhaus_listed",
        "banner",
        None,
        (
            "553 5.7.1 [BL21] Connections will not be accepted from 203.0.113.9, because the ip is in Spamhaus's list;"
            " see http://postmaster.yahoo.com/550-bl23.html"
        ),
        "send.ip_blocklisted",
    ),
    (
        "yahoo.deferred_volume",
        "mail",
        None,
        (
            "421 4.7.0 [TSS04] Messages from 203.0.113.9 temporarily deferred due to unexpected volume or user"
            " complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes"
        ),
        "send.rate_limited",
    ),
    (
        "yahoo.permanently_deferred",
        "mail",
        None,
        (
            "553 5.7.2 [TSS09] All messages from 203.0.113.9 will be permanently deferred; Retrying will NOT succeed."
            " See https://postmaster.yahooinc.com/error-codes"
        ),
        "send.ip_blocklisted",
    ),
    (
        "yahoo.policy_reasons",
        "message",
        None,
        "554 5.7.9 Message not accepted for policy reasons.  See https://postmaster.yahooinc.com/error-codes",
        "send.blocked_spam",
    ),
    (
        "yahoo.requires_spf_dkim",
        "message",
        None,
        (
            "550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo requires all senders to"
            " authenticate with either SPF or DKIM."
        ),
        "send.unauthenticated",
    ),
    (
        "yahoo.unresolvable_from",
        "mail",
        None,
        (
            "451 Message temporarily deferred due to unresolvable RFC.5321 from domain. See"
            " https://senders.yahooinc.com/error-codes#unresolvable-from-domain"
        ),
        "send.sender_domain_unresolvable",
    ),
    (
        "yahoo.no_such_account",
        "rcpt",
        None,
        (
            "554 delivery error: dd This user doesn't have a yahoo.com account (nobody@yahoo.com) [0] -"
            " mta1234.mail.gq1.yahoo.com"
        ),
        "send.recipient_unknown",
    ),
    # Amazon SES
    (
        "ses.identity_not_verified",
        "message",
        None,
        (
            "554 Message rejected: Email address is not verified. The following identities failed the check in region"
            " US-EAST-1: yoyo <yoyo@domain.com>, yoyo@domain.com"
        ),
        "send.sender_not_verified",
    ),
    (
        "ses.max_send_rate",
        "message",
        None,
        "454 Throttling failure: Maximum sending rate exceeded.",
        "send.rate_limited",
    ),
    (
        "ses.daily_quota",
        "message",
        None,
        "454 Throttling failure: Daily message quota exceeded.",
        "send.daily_limit_exceeded",
    ),
    ("ses.bad_credentials", "auth", "ses", "535 Authentication Credentials Invalid", "auth.bad_credentials"),
    (
        "ses.iam_not_authorized",
        "message",
        None,
        (
            "554 Access denied: User `arn:aws:iam::123456789012:user/ses-smtp-user.20180131-111111' is not authorized"
            " to perform `ses:SendRawEmail' on resource `arn:aws:ses:us-west-2:123456789012:identity/alice@example.com'"
        ),
        "send.account_restricted",
    ),
    (
        "ses.sending_paused",
        "message",
        None,
        (
            "554 Message rejected: Sending paused for this account. For more information, please check the inbox of the"
            " email address associated with your AWS account."
        ),
        "send.account_restricted",
    ),
    # SendGrid
    (
        "sendgrid.bad_credentials",
        "auth",
        None,
        "535 Authentication failed: Bad username / password",
        "auth.bad_credentials",
    ),
    (
        "sendgrid.key_revoked",
        "auth",
        None,
        "535 Authentication failed: The provided authorization grant is invalid, expired, or revoked",
        "auth.bad_credentials",
    ),
    (
        "sendgrid.sender_identity",
        "message",
        None,
        (
            "550 The from address does not match a verified Sender Identity. Mail cannot be sent until this error is"
            " resolved. Visit https://sendgrid.com/docs/for-developers/sending-email/sender-identity/ to see the Sender"
            " Identity requirements"
        ),
        "send.sender_not_verified",
    ),
    (
        "sendgrid.max_credits",
        "auth",
        None,
        "451 Authentication failed: Maximum credits exceeded",
        "send.daily_limit_exceeded",
    ),
    (
        "sendgrid.messaging_limits",
        "message",
        None,
        "451 You've exceeded your messaging limits",
        "send.daily_limit_exceeded",
    ),
    ("sendgrid.unauthenticated", "mail", None, "550 Unauthenticated senders not allowed", "send.unauthenticated"),
    # Mailgun
    ("mailgun.bad_credentials", "auth", "mailgun", "535 Authentication failed", "auth.bad_credentials"),
    (
        "mailgun.sandbox_only",
        "message",
        None,
        (
            "421 Domain sandboxdf3479ebf6574f74ae2b802abc2ae513.mailgun.org is not allowed to send: Sandbox subdomains"
            " are for test purposes only. Please add your own domain or add the address to authorized recipients in"
            " Account Settings."
        ),
        "send.account_restricted",
    ),
    (
        "mailgun.sandbox_only",
        "rcpt",
        "mailgun",
        (
            "421 Domain example.mailgun.org is not allowed to send: Free accounts are for test purposes only. Please"
            " upgrade or add the address to authorized recipients in Account Settings."
        ),
        "send.account_restricted",
    ),
    # Generic server texts (Postfix, Dovecot, Exchange on-premises, RFC wording)
    ("generic.starttls_first", "auth", None, "530 5.7.0 Must issue a STARTTLS command first", "auth.requires_tls"),
    ("generic.starttls_first", "mail", "ses", "530 Must issue a STARTTLS command first", "auth.requires_tls"),
    (
        "generic.encryption_required",
        "auth",
        None,
        "538 5.7.11 Encryption required for requested authentication mechanism",
        "auth.requires_tls",
    ),
    (
        "generic.relay_denied",
        "rcpt",
        None,
        "554 5.7.1 <bob@elsewhere.example>: Relay access denied",
        "send.relay_denied",
    ),
    ("generic.relay_denied", "rcpt", "mailgun", "550 5.7.1 Relaying denied", "send.relay_denied"),
    (
        "generic.greylisted",
        "rcpt",
        None,
        (
            "450 4.2.0 <bob@example.com>: Recipient address rejected: Greylisted, see"
            " http://postgrey.schweikert.ch/help/example.com.html"
        ),
        "send.greylisted",
    ),
    ("generic.greylisted", "rcpt", None, "451 4.7.1 Greylisting in action, please come back later", "send.greylisted"),
    (
        "generic.user_unknown",
        "rcpt",
        None,
        "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table",
        "send.recipient_unknown",
    ),
    (
        "generic.sender_domain_not_found",
        "mail",
        None,
        "450 4.1.8 <alice@nonexistent.invalid>: Sender address rejected: Domain not found",
        "send.sender_domain_unresolvable",
    ),
    (
        "generic.sender_login_mismatch",
        "rcpt",
        None,
        "553 5.7.1 <ceo@example.com>: Sender address rejected: not owned by user alice@example.com",
        "send.sender_not_owned",
    ),
    (
        "generic.bare_lf",
        "message",
        None,
        "521 5.5.2 mail.example.com Error: bare <LF> received",
        "send.message_malformed",
    ),
    (
        "generic.bare_lf",
        "message",
        None,
        (
            "550 5.6.11 SMTPSEND.BareLinefeedsAreIllegal; message contains bare linefeeds, which cannot be sent via"
            " DATA and receiving system does not support BDAT"
        ),
        "send.message_malformed",
    ),
    (
        "generic.message_too_large",
        "message",
        None,
        "552 5.3.4 Message size exceeds fixed limit",
        "send.message_too_large",
    ),
    (
        "generic.mailbox_full",
        "rcpt",
        None,
        "552 5.2.2 <bob@example.com>: Quota exceeded (mailbox for user is full)",
        "send.mailbox_full",
    ),
    (
        "generic.blocklisted",
        "rcpt",
        None,
        (
            "554 5.7.1 Service unavailable; Client host [203.0.113.9] blocked using zen.spamhaus.org;"
            " https://www.spamhaus.org/query/ip/203.0.113.9"
        ),
        "send.ip_blocklisted",
    ),
    (
        "generic.spf_failed",
        "rcpt",
        None,
        "550 5.7.23 The message was rejected because of Sender Policy Framework violation",
        "send.unauthenticated",
    ),
    (
        "generic.rate_limited",
        "banner",
        None,
        "421 4.7.0 mail.example.com Error: too many connections from 203.0.113.9",
        "send.rate_limited",
    ),
    (
        "generic.rate_limited",
        "mail",
        None,
        "452 4.4.2 Message submission rate for this client has exceeded the configured limit",
        "send.rate_limited",
    ),
    ("generic.auth_required", "mail", None, "530 5.7.0 Authentication required", "send.unauthenticated"),
    ("generic.account_disabled", "auth", None, "535 5.7.13 Account disabled", "auth.account_disabled"),
    (
        "generic.mechanism_unsupported",
        "auth",
        None,
        "504 5.7.4 Unrecognized authentication type",
        "auth.mechanism_unsupported",
    ),
    ("generic.auth_failed", "auth", None, "535 Incorrect authentication data", "auth.bad_credentials"),
    (
        "enhanced.5.7.8",
        "auth",
        None,
        "535 5.7.8 Error: authentication failed: authentication failure",
        "auth.bad_credentials",
    ),
    # Enhanced-code rules: texts that say nothing specific
    ("enhanced.5.7.8", "auth", None, "535 5.7.8 Nope", "auth.bad_credentials"),
    (
        "enhanced.5.7.139",
        "auth",
        None,
        "535 5.7.139 Authentication unsuccessful, something new we have no rule for.",
        "auth.smtp_auth_disabled",
    ),
    ("enhanced.5.7.3.auth", "auth", None, "535 5.7.3 Not today", "auth.bad_credentials"),
    ("enhanced.5.7.9.auth", "auth", None, "534 5.7.9 Please use a stronger mechanism", "auth.mechanism_unsupported"),
    ("enhanced.5.7.11", "mail", None, "530 5.7.10 Encryption Needed", "auth.requires_tls"),
    ("enhanced.5.7.12", "auth", None, "432 4.7.12 A password transition is needed", "auth.bad_credentials"),
    ("enhanced.5.7.13", "mail", None, "550 5.7.13 Disabled", "auth.account_disabled"),
    ("enhanced.4.7.0.auth", "auth", None, "454 4.7.0 Temporary authentication failure", "auth.tempfail"),
    ("enhanced.5.7.57", "mail", None, "530 5.7.57 Not today", "send.unauthenticated"),
    ("enhanced.5.7.60", "mail", None, "550 5.7.60 Not allowed", "send.sender_not_owned"),
    ("enhanced.5.1.1", "rcpt", None, "550 5.1.1 <x@example.com>... Nope", "send.recipient_unknown"),
    (
        "enhanced.5.1.8",
        "mail",
        None,
        "553 5.1.8 <a@b.invalid>... Domain of sender address a@b.invalid does not exist",
        "send.sender_domain_unresolvable",
    ),
    ("enhanced.5.1.7", "mail", None, "501 5.1.7 Bad sender address syntax", "send.sender_rejected"),
    ("enhanced.5.2.2", "rcpt", None, "452 4.2.2 Over the limit", "send.mailbox_full"),
    (
        "enhanced.5.3.4",
        "message",
        None,
        "552 5.2.3 Message length exceeds administrative limit",
        "send.message_too_large",
    ),
    (
        "enhanced.domain_auth",
        "message",
        None,
        "550 5.7.26 Multiple authentication checks failed",
        "send.unauthenticated",
    ),
    ("enhanced.4.2.1", "rcpt", None, "450 4.2.1 Slow down", "send.rate_limited"),
    ("enhanced.mail_flood", "message", None, "550 5.7.28 Mail flood detected", "send.blocked_spam"),
    ("enhanced.4.7.x", "rcpt", None, "451 4.7.1 Please try again later", "send.rate_limited"),
    # The servers people run (their own modules: exim.py, opensmtpd.py, ...)
    (
        "exim.sender_verify_failed",
        "rcpt",
        None,
        "550-Verification failed for <alice@example.org>\n550-Unrouteable address\n550 Sender verify failed",
        "send.sender_rejected",
    ),
    ("exim.unrouteable", "rcpt", None, "550 Unrouteable address", "send.recipient_unknown"),
    ("exim.relay_not_permitted", "rcpt", None, "550 relay not permitted", "send.relay_denied"),
    ("exim.quota", "message", None, "552 Mailbox quota exceeded", "send.mailbox_full"),
    ("opensmtpd.invalid_recipient", "rcpt", None, "550 Invalid recipient: <bob@example.com>", "send.recipient_unknown"),
    (
        "opensmtpd.expansion_problem",
        "rcpt",
        None,
        "524 5.2.4 Mailing list expansion problem: <bob@example.com>",
        "send.recipient_unknown",
    ),
    (
        "sendmail.relaying_denied_auth",
        "rcpt",
        None,
        "550 5.7.1 <bob@elsewhere.example>... Relaying denied. Proper authentication required.",
        "send.relay_denied",
    ),
    ("sendmail.user_unknown", "rcpt", None, "550 5.1.1 <nobody@example.com>... User unknown", "send.recipient_unknown"),
    ("qmail.no_mailbox", "rcpt", None, "550 sorry, no mailbox here by that name. (#5.1.1)", "send.recipient_unknown"),
    (
        "qmail.rcpthosts",
        "rcpt",
        None,
        "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
        "send.relay_denied",
    ),
    (
        "qmail.databytes",
        "message",
        None,
        "552 sorry, that message size exceeds my databytes limit (#5.3.4)",
        "send.message_too_large",
    ),
    (
        "qmail.badmailfrom",
        "mail",
        None,
        "553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)",
        "send.sender_rejected",
    ),
    (
        "exchange.non_accepted_domain",
        "rcpt",
        None,
        "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain",
        "send.relay_denied",
    ),
    (
        "exchange.quota",
        "message",
        None,
        "554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded",
        "send.mailbox_full",
    ),
    ("exchange.queue_expired", "message", None, "550 4.4.7 QUEUE.Expired; message expired", "send.tempfail"),
    ("courier.relaying_denied", "rcpt", None, "513 Relaying denied.", "send.relay_denied"),
    ("courier.unknown_user", "rcpt", None, "550 User unknown.", "send.recipient_unknown"),
    (
        "domino.not_listed",
        "rcpt",
        None,
        "550 5.1.1 User some.name (bob@example.jp) not listed in Domino Directory",
        "send.recipient_unknown",
    ),
    ("domino.relay_rejected", "rcpt", None, "554 Relay rejected for policy reasons.", "send.relay_denied"),
    (
        "zimbra.recipient_rejected",
        "rcpt",
        None,
        "550 5.1.1 <bob@example.com>: Recipient address rejected: bob@example.com",
        "send.recipient_unknown",
    ),
    ("zimbra.over_quota", "message", None, "552 5.2.2 Over quota", "send.mailbox_full"),
    (
        "mdaemon.no_such_user",
        "rcpt",
        None,
        "550 bob@example.net - no such user here. There is no user by that name at this server.",
        "send.recipient_unknown",
    ),
    (
        "hmailserver.delivery_not_allowed",
        "rcpt",
        None,
        "550 Delivery is not allowed to this address.",
        "send.relay_denied",
    ),
    ("hmailserver.auth_required", "mail", None, "530 SMTP authentication is required.", "send.unauthenticated"),
    ("hmailserver.unknown_user", "rcpt", None, "550 Unknown user", "send.recipient_unknown"),
    (
        "hmailserver.auth_failed",
        "auth",
        None,
        "535 Authentication failed. Restarting authentication process.",
        "auth.bad_credentials",
    ),
]


def _classify(stage: str, provider: str | None, raw: str, **ctx):  # type: ignore[no-untyped-def]
    reply = parse_reply_text(raw)
    return classify_reply(stage, reply.code, reply.text, provider=provider, **ctx), reply


@pytest.mark.parametrize(
    ("rule_name", "stage", "provider", "raw", "code"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_real_reply_maps_to_rule_and_code(
    rule_name: str, stage: str, provider: str | None, raw: str, code: str
) -> None:
    f, reply = _classify(stage, provider, raw)
    assert f is not None, "a failing reply must produce a finding"
    assert f.code == code
    rule, _ = match_rule(stage, reply.code, reply.text, provider)
    assert rule.name == rule_name
    # Evidence is the reply as received; the explanation explains the reply code.
    assert str(reply.code) in f.evidence and reply.lines[-1].strip()[:20] in f.evidence
    assert f"Reply {reply.code}" in f.explanation
    assert f.step == stage_step(stage)


def test_every_rule_is_exercised() -> None:
    tested = {c[0] for c in CASES}
    untested = sorted(r.name for r in RULES if r.name not in tested)
    assert not untested, f"rules with no test row: {untested}"


def test_at_least_forty_real_provider_rules_with_sources() -> None:
    providers = {"gmail", "office365", "outlook", "yahoo", "ses", "sendgrid", "mailgun"}
    text_rules = [r for r in RULES if r.kind == "text" and r.provider in providers]
    assert len(text_rules) >= 40
    for key in providers:
        assert sum(1 for r in text_rules if r.provider == key) >= 2, key
    for r in RULES:
        if r.kind == "text":
            assert r.example and r.reference, f"{r.name} needs the real reply it came from and where it was seen"


def test_rule_examples_match_their_own_rule() -> None:
    """The `example` kept with each rule (shown in docs and notebooks) really matches that rule."""
    for r in RULES:
        if not r.example:
            continue
        reply = parse_reply_text(r.example)
        stage = r.stages[0] if r.stages else ("auth" if r.finding.startswith("auth.") else "message")
        rule, _ = match_rule(stage, reply.code, reply.text, r.provider)
        assert rule.name == r.name, (r.name, rule.name)


def test_rule_findings_and_providers_exist() -> None:
    cat = catalogue()
    for r in RULES:
        assert r.finding in cat, r.name
        assert r.provider is None or r.provider in preset_keys()


@pytest.mark.parametrize(
    ("stage", "code", "text"),
    [
        ("banner", 220, "mx.example.com ESMTP"),
        ("ehlo", 250, "mx.example.com"),
        ("auth", 235, "2.7.0 Accepted"),
        ("auth", 334, "VXNlcm5hbWU6"),
        ("auth", 334, ""),
        ("data", 354, "Go ahead"),
        ("message", 250, "2.0.0 Ok: queued as 12345"),
        ("rcpt", 251, "User not local; will forward"),
    ],
)
def test_success_replies_give_no_finding(stage: str, code: int, text: str) -> None:
    assert classify_reply(stage, code, text) is None


@pytest.mark.parametrize(
    ("stage", "code", "text", "expected"),
    [
        ("auth", 535, "go away", "auth.bad_credentials"),
        ("auth", 530, "no", "auth.requires_tls"),
        ("auth", 504, "no", "auth.mechanism_unsupported"),
        ("auth", 502, "5.5.1 Unrecognized command", "auth.not_offered"),
        ("auth", 451, "later", "auth.tempfail"),
        ("auth", 501, "cannot decode", "auth.rejected"),
        ("mail", 550, "not you", "send.sender_rejected"),
        ("mail", 452, "later", "send.tempfail"),
        ("mail", 552, "too big", "send.message_too_large"),
        ("rcpt", 550, "we just don't like it", "send.policy_rejected"),
        ("rcpt", 552, "full", "send.mailbox_full"),
        ("rcpt", 530, "log in", "send.unauthenticated"),
        ("data", 554, "no", "send.policy_rejected"),
        ("message", 554, "5.6.0 something about the body", "send.policy_rejected"),
        ("message", 451, "4.3.0 local error", "send.tempfail"),
        ("rcpt", 354, "odd", "send.policy_rejected"),
    ],
)
def test_unknown_replies_fall_back_per_stage(stage: str, code: int, text: str, expected: str) -> None:
    f = classify_reply(stage, code, text)
    assert f is not None and f.code == expected
    assert match_rule(stage, code, text)[0].name.startswith("fallback.")


@pytest.mark.parametrize(
    ("stage", "code", "wanted", "stand_in"),
    [
        ("banner", 554, "banner.rejected", "send.policy_rejected"),
        ("banner", 421, "banner.tempfail", "send.tempfail"),
        ("ehlo", 550, "ehlo.rejected", "send.policy_rejected"),
        ("helo", 501, "ehlo.rejected", "send.policy_rejected"),
        ("starttls", 454, "tls.starttls_refused", "send.tempfail"),
    ],
)
def test_engine_stages_use_engine_codes_when_declared(stage: str, code: int, wanted: str, stand_in: str) -> None:
    f = classify_reply(stage, code, "5.0.0 no" if code >= 500 else "4.0.0 later")
    assert f is not None
    assert f.code == (wanted if wanted in catalogue() else stand_in)
    assert f.step == stage_step(stage)


def test_explanation_contains_rule_detail_and_code_meanings() -> None:
    f, _ = _classify(
        "auth",
        None,
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit"
        " https://aka.ms/smtp_auth_disabled for more information.",
        username="app@contoso.com",
    )
    assert f is not None
    assert "whole Microsoft 365 organisation" in f.explanation  # the rule's own detail
    assert "Reply 535 (permanent)" in f.explanation
    assert "Enhanced code 5.7.139" in f.explanation
    assert "Set-TransportConfig -SmtpClientAuthenticationDisabled $false" in f.fix
    assert "app@contoso.com" in f.fix  # template filled from context
    assert f.reference.startswith("https://github.com/simonrob/email-oauth2-proxy")
    assert f.severity is Severity.FAIL


def test_each_5_7_139_text_has_its_own_fix() -> None:
    texts = [c for c in CASES if c[0].startswith("office365.") and "5.7.139" in c[3]]
    fixes = {_classify(c[1], c[2], c[3])[0].fix for c in texts}  # type: ignore[union-attr]
    assert len(fixes) == len({c[0] for c in texts}), "every 5.7.139 variant needs a distinct fix"


def test_provider_specific_fix_from_context_host() -> None:
    raw = (
        "535-5.7.8 Username and Password not accepted. Learn more at\n535 5.7.8 "
        " https://support.google.com/mail/?p=BadCredentials x - gsmtp"
    )
    f, _ = _classify("auth", None, raw, host="smtp.gmail.com", username="me@gmail.com")
    assert f is not None and "App Password" in f.fix and "me@gmail.com" in f.fix
    generic, _ = _classify(
        "auth", None, "535 5.7.8 Error: authentication failed: authentication failure", host="mail.example.org"
    )
    assert generic is not None and "App Password" not in generic.fix and "Google" not in generic.fix
    # A generic text at a known provider still gets that provider's remedy.
    ses, _ = _classify(
        "auth", None, "535 5.7.8 Authentication credentials invalid", host="email-smtp.eu-west-1.amazonaws.com"
    )
    assert ses is not None and ses.code == "auth.bad_credentials" and "SMTP credentials" in ses.fix


def test_ses_region_and_identities_are_extracted() -> None:
    f, _ = _classify(
        "message",
        None,
        "554 Message rejected: Email address is not verified. The following identities failed the check in region"
        " EU-WEST-1: noreply@shop.example, Shop <noreply@shop.example>",
        mail_from="noreply@shop.example",
    )
    assert f is not None and f.code == "send.sender_not_verified"
    assert "noreply@shop.example, Shop <noreply@shop.example>" in f.explanation
    assert "region eu-west-1" in f.fix and "Request production access" in f.fix


def test_rate_limit_fix_quotes_provider_limits() -> None:
    f, _ = _classify(
        "message",
        None,
        "454 Throttling failure: Maximum sending rate exceeded.",
        host="email-smtp.us-east-1.amazonaws.com",
    )
    assert f is not None and "Service Quotas" in f.fix
    # Without a provider-specific fix, the generic fix quotes the provider's limits from the presets.
    g, _ = _classify(
        "rcpt", None, "421 4.7.0 mail.example.com Error: too many connections from 203.0.113.9", host="smtp.mailgun.org"
    )
    assert g is not None and g.code == "send.rate_limited" and "Mailgun limits: per plan" in g.fix
    h, _ = _classify(
        "rcpt", None, "421 4.7.0 mail.example.com Error: too many connections from 203.0.113.9", host="mx.example.org"
    )
    assert h is not None and "limits:" not in h.fix


def test_provider_rule_wins_for_its_provider() -> None:
    # Both a Microsoft 365 and an Outlook.com rule match a SendAs reply; the known provider's rule is chosen.
    raw = (
        "554 5.2.252 SendAsDenied; a@contoso.com not allowed to send as b@contoso.com;"
        " STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied"
    )
    reply = parse_reply_text(raw)
    assert match_rule("message", reply.code, reply.text, "office365")[0].name == "office365.send_as_denied"
    assert match_rule("message", reply.code, reply.text, "outlook")[0].name == "outlook.send_as_denied"


def test_exclusive_rules_need_their_provider() -> None:
    assert match_rule("auth", 535, "Authentication failed", None)[0].name == "generic.auth_failed"
    assert match_rule("auth", 535, "5.7.139 Authentication failed", None)[0].name == "enhanced.5.7.139"
    assert match_rule("auth", 535, "Authentication failed", "mailgun")[0].name == "mailgun.bad_credentials"


def test_gmail_wording_is_not_claimed_for_other_servers() -> None:
    rule, _ = match_rule("mail", 530, "5.7.0 Authentication required", None)
    assert rule.name == "generic.auth_required"


# --------------------------------------------------------------------- XOAUTH2

GOOGLE_DOC_CHALLENGE = (
    "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIG1hYyIsInNjb3BlIjoiaHR0cHM6Ly9tYWlsLmdvb2dsZS5jb20vIn0K"
)


def test_decode_xoauth2_error_google_documented_example() -> None:
    assert decode_xoauth2_error(GOOGLE_DOC_CHALLENGE) == {
        "status": "401",
        "schemes": "bearer mac",
        "scope": "https://mail.google.com/",
    }
    # Wrapped over lines and without padding, as some servers send it.
    b64 = base64.b64encode(
        json.dumps({"status": "400", "schemes": "Bearer", "scope": "https://mail.google.com/"}).encode()
    ).decode()
    assert decode_xoauth2_error(b64[:30] + "\n" + b64[30:].rstrip("="))["status"] == "400"  # type: ignore[index]


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "VXNlcm5hbWU6",
        "UGFzc3dvcmQ6",
        "not base64 at all!",
        base64.b64encode(b"[1,2]").decode(),
        "A" * 10000,
        base64.b64encode(b"\xff\xfe").decode(),
    ],
)
def test_decode_xoauth2_error_rejects_normal_prompts_and_junk(junk: str) -> None:
    assert decode_xoauth2_error(junk) is None


def test_xoauth2_334_error_challenge_is_a_finding() -> None:
    f = classify_reply("auth", 334, GOOGLE_DOC_CHALLENGE, provider="gmail", username="me@gmail.com")
    assert f is not None and f.code == "auth.oauth_token_invalid"
    assert "status 401" in f.explanation and "https://mail.google.com/" in f.explanation
    assert "(decoded:" in f.evidence
    assert "https://mail.google.com/" in f.fix and "me@gmail.com" in f.fix


def test_final_reply_after_xoauth2_is_about_the_token() -> None:
    raw = (
        "535-5.7.8 Username and Password not accepted. Learn more at\n535 5.7.8 "
        " https://support.google.com/mail/?p=BadCredentials x - gsmtp"
    )
    f, _ = _classify("auth", None, raw, mechanism="XOAUTH2", xoauth2_error=GOOGLE_DOC_CHALLENGE)
    assert f is not None and f.code == "auth.oauth_token_invalid" and "status 401" in f.explanation
    # The engine hands over the challenge it already decoded, as JSON text or a dict.
    for handed in (
        '{"schemes": "Bearer", "scope": "https://mail.google.com/", "status": "400"}',
        {"status": "400", "scope": "https://mail.google.com/"},
    ):
        h, _ = _classify("auth", "gmail", raw, mechanism="XOAUTH2", xoauth2_error=handed)
        assert h is not None and h.code == "auth.oauth_token_invalid" and "status 400" in h.explanation
    # A policy block is still a policy block when the login used OAuth.
    g, _ = _classify(
        "auth",
        "office365",
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox.",
        mechanism="XOAUTH2",
    )
    assert g is not None and g.code == "auth.smtp_auth_disabled"


# ------------------------------------------------------------- robustness


def test_unknown_stage_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown SMTP stage"):
        classify_reply("quit", 550, "x")
    assert set(STAGES) >= {"banner", "auth", "rcpt", "message"}


def test_hostile_reply_text_still_gives_a_bounded_finding() -> None:
    huge = "5.7.1 " + ("\x00\x1b[31mA" * 20000) + "{username} {0} %s"
    f = classify_reply("rcpt", 550, huge)
    assert f is not None and f.code == "send.policy_rejected"
    assert "{username}" not in f.explanation  # server text is never used as a template
    assert len(f.explanation) < 5000


def test_huge_replies_are_matched_on_a_bounded_prefix() -> None:
    """A hostile server may send megabytes; rules only ever see a bounded prefix.

    (How fast that is, is measured in benchmarks/classify_reply.py, not asserted here.)
    """
    from smtpkit.knowledge import rules as provider_rules

    for text in ("5.7.1 listed in " + "a" * 200_000, "a." * 100_000, "authentication required " * 10_000):
        assert len(provider_rules._flat(text)) <= provider_rules._MATCH_LIMIT
        assert classify_reply("rcpt", 550, text) is not None
    # the prefix is what decides: a rule's words after the limit are not seen
    late = "x" * (provider_rules._MATCH_LIMIT * 3) + " Daily user sending limit exceeded"
    assert provider_rules._flat("5.4.5 " + late).endswith("x")


def test_secret_in_reply_text_is_redacted() -> None:
    from smtpkit.secrets import Secret

    pw = Secret("Tr0ub4dor&3-knowledge")
    f = classify_reply("auth", 535, f"5.7.8 bad password {pw.reveal()}")
    assert f is not None and pw.reveal() not in f.evidence and pw.reveal() not in f.explanation


# -------------------------------------------- codes the engine produces itself


def test_engine_produced_auth_codes_render() -> None:
    f = finding(
        "auth.plaintext_refused", "EHLO lists AUTH PLAIN LOGIN without STARTTLS", host="mail.example.com", port=25
    )
    assert "mail.example.com:25" in f.explanation and "--insecure-allow-plaintext-auth" in f.fix
    g = finding("auth.malformed_challenge", "334 %%%notbase64", reply="334 %%%notbase64")
    assert "334 %%%notbase64" in g.explanation
    h = finding("auth.not_offered", "250-mail.example.com\n250 SIZE 1000", provider="office365")
    assert "Set-TransportConfig" in h.fix


def test_classify_wire_takes_pasted_text() -> None:
    from smtpkit.knowledge.rules import classify_wire

    f = classify_wire("auth", "535 5.7.139 Authentication unsuccessful, basic authentication is disabled.\r\n")
    assert f is not None and f.code == "auth.smtp_auth_disabled"
    assert classify_wire("message", "250 2.0.0 Ok: queued as ABC") is None
    with pytest.raises(ValueError):
        classify_wire("auth", "HTTP/1.1 200 OK")


def test_rules_frame_lists_every_rule() -> None:
    df = rules_frame()
    assert list(df["rule"]) == [r.name for r in RULES]
    assert {"provider", "finding", "reply", "reference"} <= set(df.columns)


# ------------------------------------------------------------ against the lab
# The provider scenarios (smtpkit/lab/scenarios_providers.py) and the lab's own
# failure scenarios, driven with the standard library's smtplib on loopback:
# the reply a real client gets is fed to classify_reply, as the engine does.

import smtplib  # noqa: E402
import ssl  # noqa: E402
import uuid  # noqa: E402

from smtpkit.knowledge.presets import provider_from_banner  # noqa: E402
from smtpkit.lab.scenarios.providers import SCENARIOS as PROVIDER_SCENARIOS  # noqa: E402

LAB_TIMEOUT = 10.0


def _first_failure(lab, name: str, *, login: bool = True, sender: str = "lab@smtpkit.test"):  # type: ignore[no-untyped-def]
    """Run a whole SMTP transaction and return (stage, code, text, banner) of the first failing reply."""
    ep = lab.endpoint(name)
    ctx = ssl.create_default_context(cafile=lab.ca_file)
    s: smtplib.SMTP = (
        smtplib.SMTP_SSL(context=ctx, timeout=LAB_TIMEOUT)
        if ep.security == "tls"
        else smtplib.SMTP(timeout=LAB_TIMEOUT)
    )
    s._host = ep.host  # smtplib's connect() keeps the greeting only if we call it ourselves; TLS needs the name
    try:
        code, banner = s.connect(ep.host, ep.port)
        s.ehlo()
        if ep.security == "starttls" and s.has_extn("starttls"):
            s.starttls(context=ctx)
            s.ehlo()
        if login and s.has_extn("auth"):
            try:
                s.login(lab.user, lab.password.reveal())
            except smtplib.SMTPAuthenticationError as exc:
                return "auth", exc.smtp_code, exc.smtp_error.decode(), banner.decode()
        code, text = s.mail(sender)
        if code >= 400:
            return "mail", code, text.decode(), banner.decode()
        code, text = s.rcpt("bob@elsewhere.example")
        if code >= 400:
            return "rcpt", code, text.decode(), banner.decode()
        msg = (
            f"From: <{sender}>\r\nTo: <bob@elsewhere.example>\r\nSubject: smtpkit {uuid.uuid4().hex[:8]}\r\n"
            "Message-ID: <x@smtpkit.test>\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\n\r\nhello\r\n"
        )
        try:
            code, text = s.data(msg)
        except smtplib.SMTPDataError as exc:
            return "data", exc.smtp_code, exc.smtp_error.decode(), banner.decode()
        if code >= 400:
            return "message", code, text.decode(), banner.decode()
        return "message", code, text.decode(), banner.decode()
    finally:
        try:
            s.close()
        except OSError:
            pass


LAB_PROVIDER_CASES = [
    ("gmail_app_password", "auth", "auth.app_password_required", "App Password"),
    ("gmail_daily_limit", "mail", "send.daily_limit_exceeded", "2,000 on Google Workspace"),
    ("o365_not_authenticated", "mail", "send.unauthenticated", "SmtpClientAuthenticationDisabled"),
    ("o365_send_as_denied", "message", "send.sender_not_owned", "Add-RecipientPermission"),
    ("yahoo_app_password", "auth", "auth.too_many_attempts", "Generate app password"),
    ("ses_unverified_sender", "message", "send.sender_not_verified", "Request production access"),
    ("sendgrid_sender_identity", "message", "send.sender_not_verified", "Sender Authentication"),
]


def test_every_provider_scenario_has_a_lab_test() -> None:
    assert {s.name for s in PROVIDER_SCENARIOS} == {c[0] for c in LAB_PROVIDER_CASES}
    for s in PROVIDER_SCENARIOS:
        assert s.provider and s.expect in catalogue()


@pytest.mark.parametrize(
    ("name", "stage", "code", "fix_words"), LAB_PROVIDER_CASES, ids=[c[0] for c in LAB_PROVIDER_CASES]
)
def test_provider_scenario_reply_is_classified(lab, name: str, stage: str, code: str, fix_words: str) -> None:  # type: ignore[no-untyped-def]
    got_stage, reply_code, text, banner = _first_failure(lab, name)
    assert got_stage == stage, (got_stage, reply_code, text)
    ep = lab.endpoint(name)
    # The provider is recognised from the greeting alone, as the engine does.
    provider = provider_from_banner(banner)
    assert provider == ep.provider
    f = classify_reply(stage, reply_code, text, provider=provider, username=lab.user, mail_from="lab@smtpkit.test")
    assert f is not None and f.code == code == ep.expect
    assert fix_words in f.fix
    assert lab.password.reveal() not in f.evidence + f.explanation + f.fix


@pytest.mark.parametrize(
    ("name", "login", "stage", "code"),
    [
        ("submission", False, "mail", "send.unauthenticated"),
        ("relay_denied", True, "rcpt", "send.relay_denied"),
        ("greylisting", True, "rcpt", "send.greylisted"),
        ("rate_limit", True, "mail", "send.rate_limited"),
        ("too_large", True, "mail", "send.message_too_large"),
        ("gmail_bad_credentials", True, "auth", "auth.bad_credentials"),
        ("o365_auth_disabled", True, "auth", "auth.smtp_auth_disabled"),
    ],
)
def test_lab_failure_replies_are_classified(lab, name: str, login: bool, stage: str, code: str) -> None:  # type: ignore[no-untyped-def]
    if name == "too_large":
        # A MAIL with SIZE= above the advertised limit is refused before any data is sent.
        ep = lab.endpoint(name)
        ctx = ssl.create_default_context(cafile=lab.ca_file)
        with smtplib.SMTP(ep.host, ep.port, timeout=LAB_TIMEOUT) as s:
            s.ehlo()
            s.starttls(context=ctx)
            s.ehlo()
            s.login(lab.user, lab.password.reveal())
            reply_code, text = s.mail("lab@smtpkit.test", ["SIZE=100000"])
        got_stage, text_s = "mail", text.decode()
        max_size = int(s.esmtp_features["size"])
    else:
        got_stage, reply_code, text_s, _ = _first_failure(lab, name, login=login)
        max_size = None
    assert got_stage == stage, (got_stage, reply_code, text_s)
    f = classify_reply(stage, reply_code, text_s, max_size=max_size)
    assert f is not None and f.code == code
    if name == "submission":
        # The lab copies Exchange's words; a generic server must not get a Microsoft 365 fix.
        assert "Set-CASMailbox" not in f.fix
    if max_size:
        assert "512 bytes" in f.explanation


def test_lab_wrong_password_and_xoauth2_challenge(lab) -> None:  # type: ignore[no-untyped-def]
    ep = lab.endpoint("submission")
    ctx = ssl.create_default_context(cafile=lab.ca_file)
    with smtplib.SMTP(ep.host, ep.port, timeout=LAB_TIMEOUT) as s:
        s.ehlo()
        s.starttls(context=ctx)
        s.ehlo()
        code, text = s.docmd("AUTH", "PLAIN " + base64.b64encode(f"\0{lab.user}\0wrong-password".encode()).decode())
        f = classify_reply("auth", code, text.decode(), mechanism="PLAIN", username=lab.user)
        assert f is not None and f.code == "auth.bad_credentials"
        token = base64.b64encode(f"user={lab.user}\x01auth=Bearer ya29.expired\x01\x01".encode()).decode()
        code, challenge = s.docmd("AUTH", "XOAUTH2 " + token)
        first = classify_reply("auth", code, challenge.decode(), username=lab.user)
        assert first is not None and first.code == "auth.oauth_token_invalid" and "status 401" in first.explanation
        code, text = s.docmd("")
        final = classify_reply("auth", code, text.decode(), mechanism="XOAUTH2", xoauth2_error=challenge.decode())
        assert final is not None and final.code == "auth.oauth_token_invalid"


def test_500_502_mid_exchange_is_a_refused_login() -> None:
    """500/502 to AUTH itself: no AUTH here; after the server's own 334 prompts: it refused the exchange."""
    assert classify_reply("auth", 502, "5.5.1 not implemented").code == "auth.not_offered"
    mid = classify_reply("auth", 502, "5.5.1 not implemented", mechanism="LOGIN", mid_exchange=True)
    assert mid is not None and mid.code == "auth.rejected"
    assert "502" in mid.explanation
