"""The finding catalogue: the one source of truth for every finding code.

Each area of the kit (dns, connect, tls, auth, send, spf, dkim, dmarc, ...)
declares its codes as `FindingSpec`s in a module of `smtpkit.knowledge.codes`;
this module gathers them. Checks never write explanations inline: they call
`finding(code, evidence=..., **params)`, so texts are consistent, documented in
`docs/findings.md` (generated from here) and testable one by one.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from smtpkit.model import Finding, Severity
from smtpkit.record import field, record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from typing import Any

_CODE_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_.")


class TemplateParams(dict):  # type: ignore[type-arg]
    """Template parameters; a missing one renders visibly instead of crashing a diagnosis."""

    def __missing__(self, key: str) -> str:
        import logging  # (here: only a catalogue mistake logs, and a check's start-up is measured)

        logging.getLogger("smtpkit.knowledge").warning("finding template parameter %r missing", key)
        return f"({key} unknown)"


def placeholder(name: str) -> str:
    """A template's field as words for a reader with no result yet: ``not_after`` -> ‹not after›.

    The report's codes table and a lab lesson's hint both show titles before (or apart from) the finding
    that fills them in; "…" there left the reader guessing what was missing.
    """
    return "‹" + name.replace("_", " ") + "›"


def template_fields(template: str) -> set[str]:
    import string  # (here: the catalogue's own checks need it, a check's start-up does not)

    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@record(frozen=True)
class FindingSpec:
    """A catalogue entry. `explanation` and `fix` are `str.format` templates.

    `provider_fixes` maps a provider key (see `smtpkit.knowledge.presets`) to a
    fix that names that provider's own remedy; it replaces the generic fix when
    the evidence shows which provider we are talking to.
    """

    code: str
    severity: Severity
    step: str
    title: str
    explanation: str
    fix: str
    reference: str = ""
    provider_fixes: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.code or set(self.code) - _CODE_CHARS or "." not in self.code:
            raise ValueError(f"finding code {self.code!r} must be dotted lower-case, like 'tls.cert.expired'")
        object.__setattr__(self, "severity", Severity(self.severity))
        object.__setattr__(self, "provider_fixes", MappingProxyType(dict(self.provider_fixes)))

    @property
    def params(self) -> set[str]:
        names = template_fields(self.explanation) | template_fields(self.fix) | template_fields(self.title)
        for fix in self.provider_fixes.values():
            names |= template_fields(fix)
        return names

    def make(
        self,
        evidence: str = "",
        *,
        provider: str | None = None,
        severity: Severity | str | None = None,
        step: str | None = None,
        extra: str = "",
        fix_extra: str = "",
        **params: Any,
    ) -> Finding:
        values = TemplateParams({k: "" if v is None else v for k, v in params.items()})
        fix_template = self.provider_fixes.get(provider or "", self.fix)
        explanation = self.explanation.format_map(values)
        if extra:
            explanation = f"{explanation} {extra}"
        fix = fix_template.format_map(values)
        if fix_extra:
            fix = f"{fix} {fix_extra}"
        return Finding(
            code=self.code,
            severity=Severity(severity) if severity is not None else self.severity,
            step=step or self.step,
            title=self.title.format_map(values),
            explanation=explanation,
            fix=fix,
            evidence=str(evidence or ""),
            reference=self.reference,
        )


_CATALOGUE: dict[str, FindingSpec] | None = None


def _load() -> dict[str, FindingSpec]:
    from smtpkit.knowledge import codes

    found: dict[str, FindingSpec] = {}
    import pkgutil

    for info in sorted(pkgutil.iter_modules(codes.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{codes.__name__}.{info.name}")
        for spec in getattr(module, "SPECS", ()):
            if spec.code in found:
                raise ValueError(f"finding code {spec.code} is declared twice (second time in {module.__name__})")
            found[spec.code] = spec
    return found


_BY_FILE: dict[str, dict[str, FindingSpec]] = {}


def _declared_in(name: str) -> dict[str, FindingSpec]:
    """The specs of codes/<name>.py alone (empty when there is no such file)."""
    if name not in _BY_FILE:
        specs: Iterable[FindingSpec] = ()
        if name.isidentifier():
            try:
                specs = getattr(importlib.import_module(f"smtpkit.knowledge.codes.{name}"), "SPECS", ())
            except ModuleNotFoundError:
                pass
        _BY_FILE[name] = {s.code: s for s in specs}
    return _BY_FILE[name]


def catalogue() -> Mapping[str, FindingSpec]:
    """Every finding code the kit can produce, keyed by code."""
    global _CATALOGUE
    if _CATALOGUE is None:
        _CATALOGUE = _load()
    return MappingProxyType(_CATALOGUE)


def spec(code: str) -> FindingSpec:
    if _CATALOGUE is None:
        # A code lives in the file named by its prefix (codes/tls.py holds tls.*): until something needs
        # the whole catalogue, importing that one file is enough (a CLI run builds a few findings).
        # Codes declared elsewhere, and unknown ones, fall through to the whole catalogue.
        found = _declared_in(code.split(".", 1)[0]).get(code)
        if found is not None:
            return found
    try:
        return catalogue()[code]
    except KeyError:
        raise KeyError(f"unknown finding code {code!r}; declare it in smtpkit/knowledge/codes/") from None


def finding(code: str, evidence: str = "", **kwargs: Any) -> Finding:
    """Build the Finding for `code` from the catalogue (see `FindingSpec.make`)."""
    return spec(code).make(evidence, **kwargs)


def render_markdown(specs: Iterable[FindingSpec] | None = None) -> str:
    """The text of docs/findings.md. Regenerate with `smtpkit findings --markdown > docs/findings.md`."""
    items = sorted(specs if specs is not None else catalogue().values(), key=lambda s: s.code)
    out = [
        "# Finding codes",
        "",
        "Every finding smtpkit can report, generated from `smtpkit/knowledge/codes/` by",
        "`smtpkit findings --markdown > docs/findings.md` (a test fails when this file is stale).",
        "Codes are stable: search for one, or look it up with `smtpkit findings CODE`.",
        "Text in `{braces}` is filled in from what the server or DNS actually said.",
        "",
    ]
    by_area: dict[str, list[FindingSpec]] = {}
    for s in items:
        by_area.setdefault(s.code.split(".")[0], []).append(s)
    out.append("| code | severity | step | title |")
    out.append("|---|---|---|---|")
    for s in items:
        out.append(f"| [`{s.code}`](#{s.code.replace('.', '')}) | {s.severity.value} | {s.step} | {s.title} |")
    for area, specs_ in by_area.items():
        out += ["", f"## {area}"]
        for s in specs_:
            out += ["", f"### {s.code}", "", f"**{s.title}** — severity `{s.severity.value}`, step `{s.step}`", ""]
            out += [f"*What happened and why:* {s.explanation}", "", f"*Fix:* {s.fix}"]
            for provider, fix in sorted(s.provider_fixes.items()):
                out += ["", f"*Fix for {provider}:* {fix}"]
            if s.reference:
                out += ["", f"*Reference:* {s.reference}"]
    return "\n".join(out) + "\n"
