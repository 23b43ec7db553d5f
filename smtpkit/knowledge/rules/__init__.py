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

import functools
import importlib
import json
import pkgutil
import re
from collections.abc import Mapping
from typing import Any

from smtpkit.knowledge.catalogue import TemplateParams, catalogue, spec
from smtpkit.knowledge.enhanced import explain_enhanced
from smtpkit.knowledge.presets import GENERIC_PRESETS, preset, preset_keys, provider_for_host
from smtpkit.knowledge.replies import (
    explain_reply,
    format_reply,
    is_expected,
    parse_reply_text,
    reply_line,
    split_enhanced,
)
from smtpkit.knowledge.xoauth2 import coerce_oauth_error, decode_xoauth2_error, explain_xoauth2_error
from smtpkit.model import Finding
from smtpkit.octets import size_text
from smtpkit.record import record, replace

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

SEND_STAGES = ("mail", "rcpt", "data", "message")
OAUTH_MECHANISMS = ("XOAUTH2", "OAUTHBEARER")


def stage_step(stage: str) -> str:
    """The report step a stage belongs to (``rcpt`` -> ``send``, ``starttls`` -> ``tls``)."""
    return _STAGE_STEP[stage]


@record(frozen=True)
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

    def matches(
        self, stage: str, code: int, enhanced: str | None, text: str, provider: str | None
    ) -> re.Match[str] | bool:
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


def rule(name: str, finding: str, pattern: str = "", **kw: Any) -> ReplyRule:
    """A `ReplyRule` in the short form the rule modules use (name, finding code, pattern, then keywords)."""
    return ReplyRule(name=name, finding=finding, pattern=pattern, **kw)


# ---------------------------------------------------------------------------
# The table: every module of this package (one per provider, `generic` last)
# exposes `RULES` and `ORDER`. Provider rules come first, then generic text
# rules, then enhanced-code rules. Order matters only among rules that match
# the same reply; `match_rule` prefers the current provider's rule.


@functools.cache
def all_rules() -> tuple[ReplyRule, ...]:
    """Every rule of every module of this package, in the modules' `ORDER`; duplicate names are an error."""
    modules = [importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__)]
    modules.sort(key=lambda m: (getattr(m, "ORDER", 500), m.__name__))
    rules: tuple[ReplyRule, ...] = tuple(r for m in modules for r in m.RULES)
    names = [r.name for r in rules]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"duplicate reply rule names: {', '.join(dupes)}")
    return rules


def __getattr__(name: str) -> Any:
    if name == "RULES":  # the table, assembled on first use so importing the engine stays cheap
        return all_rules()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------------------
# Fallbacks: every failing reply at every stage gets a finding. First match
# wins; a reply is an exact code ("535") or a class ("4xx"; "5xx" stands for
# every failing reply that is not 4xx, so an odd 3xx or 6xx is a refusal too).

FALLBACKS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    # stages                        reply   finding
    (("banner",), "4xx", "banner.tempfail"),
    (("banner",), "5xx", "banner.rejected"),
    (("ehlo", "helo"), "4xx", "ehlo.rejected"),
    (("ehlo", "helo"), "5xx", "ehlo.rejected"),
    (("starttls",), "4xx", "tls.starttls_refused"),
    (("starttls",), "5xx", "tls.starttls_refused"),
    (("auth",), "535", "auth.bad_credentials"),
    (("auth",), "530", "auth.requires_tls"),
    (("auth",), "538", "auth.requires_tls"),
    (("auth",), "523", "auth.requires_tls"),
    (("auth",), "534", "auth.mechanism_unsupported"),
    (("auth",), "504", "auth.mechanism_unsupported"),
    (("auth",), "500", "auth.not_offered"),
    (("auth",), "502", "auth.not_offered"),
    (("auth",), "4xx", "auth.tempfail"),
    (("auth",), "5xx", "auth.rejected"),
    (SEND_STAGES, "530", "send.unauthenticated"),
    (SEND_STAGES, "4xx", "send.tempfail"),
    (("rcpt",), "552", "send.mailbox_full"),
    (("mail", "data", "message"), "552", "send.message_too_large"),
    (("mail",), "5xx", "send.sender_rejected"),
    (("rcpt", "data", "message"), "5xx", "send.policy_rejected"),
)


def _reply_matches(key: str, code: int) -> bool:
    if key == "4xx":
        return code // 100 == 4
    if key == "5xx":
        return code // 100 != 4
    return code == int(key)


def _fallback(stage: str, code: int) -> ReplyRule:
    for stages, key, code_name in FALLBACKS:
        if stage in stages and _reply_matches(key, code):
            found = (
                code_name
                if code_name in catalogue()
                else ("send.tempfail" if code // 100 == 4 else "send.policy_rejected")
            )
            return ReplyRule(f"fallback.{stage}.{key}", found)
    raise ValueError(f"no fallback for stage {stage!r}")  # pragma: no cover - FALLBACKS covers every stage


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
    for rule in all_rules():
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
    if stage == "rcpt" and _likely_relay_refusal(rule, code, context):
        rule = ReplyRule(f"{rule.name}.relay_context", "send.relay_denied", detail=_RELAY_CONTEXT)
    if stage == "auth" and rule.finding == "auth.not_offered" and context.get("mid_exchange"):
        # 500/502 to the AUTH command says "no AUTH here"; after the server's own 334 prompts (a
        # LOGIN password line, a CRAM-MD5 response) AUTH clearly exists: it refused the exchange.
        rule = ReplyRule(f"fallback.auth.{code}.mid_exchange", "auth.rejected")

    oauth_err = coerce_oauth_error(context.get("xoauth2_error"))
    if stage == "auth" and code >= 500 and (oauth_err or mechanism in OAUTH_MECHANISMS):
        if rule.finding in (
            "auth.bad_credentials",
            "auth.app_password_required",
            "auth.web_login_required",
            "auth.rejected",
        ):
            return _oauth_finding(stage, code, text, oauth_err or {}, provider or rule.provider, context)

    return _build(rule, groups, stage, code, text, provider, context)


_RELAY_CONTEXT = (
    "This session had not logged in, and {rcpt_to} is outside the domains of {host}. Servers that do not relay for "
    "strangers often refuse such a recipient with the same words they use for an unknown mailbox (OpenSMTPD's "
    "'Invalid recipient', a bare 550), so the likely cause is the missing login, not the address: log in first, "
    "and only if the refusal stays after logging in, check the spelling of the address."
)


def _likely_relay_refusal(rule: ReplyRule, code: int, context: Mapping[str, Any]) -> bool:
    """An ambiguous RCPT refusal that, in context, means relay denied rather than unknown recipient.

    Needs the session's facts: ``authenticated`` is False (explicitly), and the
    recipient's domain is outside the server's own (``local_domains`` when
    known, else the organisational domain of ``host``).
    """
    if context.get("authenticated") is not False or code not in (550, 551, 553, 554):
        return False
    if rule.finding not in ("send.recipient_unknown", "send.policy_rejected"):
        return False
    rcpt = str(context.get("rcpt_to") or "")
    rdomain = rcpt.rpartition("@")[2].strip().strip(">").rstrip(".").lower()
    if "@" not in rcpt or not rdomain:
        return False
    local = context.get("local_domains")
    if local:
        return rdomain not in {str(d).lower().rstrip(".") for d in local}
    host = str(context.get("host") or "").strip().rstrip(".").lower()
    if not host or "." not in host or host.replace(".", "").isdigit() or ":" in host:
        return False
    from smtpkit.dmarc.alignment import org_domain

    return org_domain(host) != org_domain(rdomain)


def classify_wire(stage: str, raw: str, provider: str | None = None, **context: Any) -> Finding | None:
    """`classify_reply` for a reply pasted as text (``"535-5.7.8 …\\n535 5.7.8 …"``), e.g. from a log or a bounce.

    Raises ValueError when the text is not an SMTP reply, so a caller can say
    so instead of guessing.
    """
    reply = parse_reply_text(raw)
    return classify_reply(stage, reply.code, reply.text, provider=provider, **context)


def _params(
    stage: str, code: int, text: str, provider: str | None, context: Mapping[str, Any], groups: Mapping[str, str]
) -> TemplateParams:
    enhanced, _message = split_enhanced(text)
    one_line = reply_line(code, text)
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
        values["max_size"] = f"This server's limit (EHLO SIZE) is {max_size:,} bytes ({size_text(max_size)})."
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
    return TemplateParams({k: "" if v is None else v for k, v in values.items()})


def _meaning(code: int, text: str, provider: str | None) -> str:
    enhanced, _ = split_enhanced(text)
    parts = [explain_reply(code)]
    if enhanced:
        e = explain_enhanced(enhanced, provider)
        if e:
            parts.append(e)
    return " ".join(parts)


def _build(
    rule: ReplyRule,
    groups: Mapping[str, str],
    stage: str,
    code: int,
    text: str,
    provider: str | None,
    context: Mapping[str, Any],
) -> Finding:
    fix_provider = provider or (rule.provider if rule.names_provider else None)
    params = _params(stage, code, text, fix_provider, context, groups)
    extra = " ".join(
        x for x in (rule.detail.format_map(params) if rule.detail else "", _meaning(code, text, fix_provider)) if x
    )
    s = spec(rule.finding)
    finding = s.make(
        format_reply(code, text),
        provider=fix_provider,
        severity=rule.severity,
        step=stage_step(stage),
        extra=extra,
        **params,
    )
    changes: dict[str, Any] = {}
    if rule.fix:
        changes["fix"] = rule.fix.format_map(params)
    elif finding.fix != finding.fix.strip():
        changes["fix"] = finding.fix.strip()  # an empty optional parameter at the end
    if rule.reference:
        changes["reference"] = rule.reference
    return replace(finding, **changes) if changes else finding


def _oauth_finding(
    stage: str, code: int, text: str, err: Mapping[str, Any], provider: str | None, context: Mapping[str, Any]
) -> Finding:
    groups = {"status": str(err.get("status", "?")), "scope": str(err.get("scope") or "(not given)")}
    params = _params(stage, code, text, provider, context, groups)
    parts = []
    if err:
        parts.append(explain_xoauth2_error(err))
    else:
        parts.append(
            "The server did not return an XOAUTH2 error challenge, only this final reply; the token was refused."
        )
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
        for r in all_rules()
    ]
    return pd.DataFrame(rows, columns=["rule", "provider", "finding", "kind", "reply", "reference"])
