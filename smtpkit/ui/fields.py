"""The fields of a form: each with its own layout, its own inline message, and Enter that runs.

Three lessons from watching people use the forms in a browser:

* Every widget gets its **own** `widgets.Layout`. One shared Layout object was
  the bug that hid the whole form: hiding the scenario dropdown
  (``layout.display = "none"``) hid every widget sharing that object.
* A bad value is **marked where it was typed**, with the settings model's
  message next to it (`InvalidSettings.field` names the field), and nothing
  runs. Numbers are typed into text fields, not bounded number widgets, because
  those silently changed what was typed (99999 became 65535, -5 the default,
  letters vanished, a timeout of 0 became 0.5); here the validators of
  `smtpkit.settings` refuse such a value with a message instead.
* **Enter runs**, from any text field of the form.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

import ipywidgets as widgets

from smtpkit.errors import InvalidSettings
from smtpkit.settings import Refusals

LABEL_WIDTH = "130px"
WIDE = "560px"
NARROW = "300px"
#: "More settings" (a folded panel): its fields are WIDE and sit in line with those above (no inner padding); the
#: panel is wider so that its title, which names them, fits on one line. With the panel's own 15 px of padding its
#: fields started 18 px to the right of the others and their right ends were cut off.
MORE_WIDTH = "720px"
#: Seconds between Enter and the run: the browser sends the field's last value just after the key.
ENTER_DELAY = 0.25

#: The form's own style sheet (an HTML widget holding a <style>): marked fields, messages, the mode banner.
CSS = """<style>
.smtpkit-invalid input, .smtpkit-invalid select, .smtpkit-invalid textarea {
  border-color: #cf222e !important; box-shadow: 0 0 0 1px #cf222e; background: #fff8f8; }
.smtpkit-field-error { color: #cf222e; font-size: 12px; line-height: 1.35; margin: 0 0 4px 134px; max-width: 560px; }
.smtpkit-field-error:empty { display: none; }
.widget-html.smtpkit-field-error > .widget-html-content { line-height: 1.35; height: auto; white-space: normal; }
.smtpkit-hint-text { font-size: 12px; line-height: 1.4; color: #57606a; max-width: 700px; }
.smtpkit-mode .widget-toggle-button { width: auto; min-width: 130px; }
.smtpkit-more .jupyter-widget-Collapse-contents { padding: 6px 0 6px 0; overflow: visible; }
</style>"""


def style() -> dict[str, str]:
    """The label width every field shares (a plain dict: each widget builds its own style object)."""
    return {"description_width": LABEL_WIDTH}


def wide(**extra: Any) -> widgets.Layout:
    """A new Layout for a wide field: never shared, so hiding one widget hides only that widget."""
    return widgets.Layout(width=WIDE, **extra)


def narrow(**extra: Any) -> widgets.Layout:
    """A new Layout for a short field (a port, a timeout)."""
    return widgets.Layout(width=NARROW, **extra)


def hint_html(text: str) -> str:
    """Grey helper text under a field (escaped)."""
    return f'<div class="smtpkit-hint-text">{html.escape(text)}</div>'


def show(widget: widgets.Widget, visible: bool) -> None:
    """Show or hide one widget (and only it: every widget here has its own Layout)."""
    widget.layout.display = None if visible else "none"


class Fields:
    """The fields of one form by settings name, each with an inline message, and Enter wired to `on_enter`.

    `add(name, widget)` returns the box to place in the form: the widget with
    its message underneath (empty and invisible until `mark`). The names are
    those `InvalidSettings.field` uses (``host``, ``port``, ``timeout``,
    ``mail_from``, ``nameservers``...), so a refusal from the settings model
    lands on the field that caused it.
    """

    def __init__(self, on_enter: Callable[[], None] | None = None, on_fixed: Callable[[], None] | None = None) -> None:
        self.widgets: dict[str, widgets.Widget] = {}
        self.messages: dict[str, widgets.HTML] = {}
        self.labels: dict[str, str] = {}
        self.boxes: dict[str, widgets.Box] = {}
        self._aliases: dict[str, str] = {}
        self.on_enter = on_enter
        #: Called when the last marked field is edited (its mark gone): the form's "fix the field" line goes too.
        self.on_fixed = on_fixed

    def add(self, name: str, widget: widgets.Widget, *, label: str = "", aliases: Iterable[str] = ()) -> widgets.Box:
        message = widgets.HTML(value="", layout=widgets.Layout())
        message.add_class("smtpkit-field-error")
        message.add_class(f"smtpkit-error-{name}")
        widget.add_class(f"smtpkit-{name.replace('_', '-')}")
        self.widgets[name] = widget
        self.messages[name] = message
        self.labels[name] = label or str(getattr(widget, "description", "") or name)
        for alias in aliases:
            self._aliases[alias] = name
        if isinstance(widget, (widgets.Text, widgets.Password, widgets.Combobox, widgets.Textarea)):
            widget.on_msg(self._message_from_browser)
            widget.observe(lambda _c, n=name: self.clear(n), names="value")
        elif hasattr(widget, "value"):
            widget.observe(lambda _c, n=name: self.clear(n), names="value")
        box = widgets.VBox([widget, message], layout=widgets.Layout())
        self.boxes[name] = box
        return box

    def field_of(self, exc: BaseException) -> str | None:
        """The field an error names, if it is one of these."""
        name = getattr(exc, "field", "") or ""
        name = self._aliases.get(name, name)
        return name if name in self.widgets else None

    def mark(self, name: str, text: str) -> None:
        """Mark field `name` as wrong, with `text` next to it."""
        name = self._aliases.get(name, name)
        if name not in self.widgets:
            return
        self.widgets[name].add_class("smtpkit-invalid")
        # role="alert": a screen reader says the message when it appears (ipywidgets has no way to set
        # aria-invalid on the input itself; the red border is for the eye only)
        self.messages[name].value = f'<span role="alert">⚠ {html.escape(as_sentence(text))}</span>'

    def read_all(self, readers: dict[str, Callable[[], Any]]) -> dict[str, Any]:
        """Each reader's value by name; when some refuse (`InvalidSettings`), every refused field is marked and
        the first refusal raised, so one Run shows all that is wrong instead of one field a Run."""
        r = Refusals()  # the settings model's own collector: the first refusal raised, the others in its `also`
        values = {name: r.take(read, None) for name, read in readers.items()}
        try:
            r.raise_first()
        except InvalidSettings as exc:
            self.mark_error(exc)  # and every refusal it carries
            raise
        return values

    def mark_error(self, exc: BaseException) -> str | None:
        """Mark the field an `InvalidSettings` names, and those of the refusals it carries (`also`); returns
        the first one's label (None when no field here matches)."""
        for other in getattr(exc, "also", ()):
            if (name := self.field_of(other)) is not None:
                self.mark(name, str(other))
        name = self.field_of(exc)
        if name is None:
            return None
        self.mark(name, str(exc))
        return self.labels[name]

    def clear(self, name: str | None = None) -> None:
        """Remove the mark of one field (it was edited), or of every field."""
        was_marked = self._any_marked()
        for n in [name] if name else list(self.widgets):
            if n in self.widgets:
                self.widgets[n].remove_class("smtpkit-invalid")
                self.messages[n].value = ""
        if name and was_marked and not self._any_marked() and self.on_fixed is not None:
            self.on_fixed()

    def _any_marked(self) -> bool:
        return any(m.value for m in self.messages.values())

    @property
    def marked(self) -> dict[str, str]:
        """Field -> its message, for every marked field (what a test or a status line reads)."""
        return {
            n: html.unescape(re.sub(r"<[^>]+>", "", m.value)).removeprefix("⚠ ")
            for n, m in self.messages.items()
            if m.value
        }

    def _message_from_browser(self, _widget: Any, content: Any, _buffers: Any) -> None:
        # ipywidgets' text views send {"event": "submit"} when Enter is pressed in them
        if isinstance(content, dict) and content.get("event") == "submit" and self.on_enter is not None:
            # the field's own value arrives in the message right after this one: run once it has
            timer = threading.Timer(ENTER_DELAY, self.on_enter)
            timer.daemon = True
            timer.start()


def text_area(description: str, *, value: str = "", placeholder: str = "", height: str = "8em") -> widgets.Textarea:
    """A box for pasted text (a record, a bounce, a list of domains), as wide as the form's fields."""
    return widgets.Textarea(
        value=value, description=description, placeholder=placeholder, style=style(), layout=wide(height=height)
    )


def text_field(description: str, *, value: str = "", placeholder: str = "", short: bool = False) -> widgets.Text:
    """A text field with its own layout (numbers too: what was typed is validated, never changed)."""
    return widgets.Text(
        value=value,
        description=description,
        placeholder=placeholder,
        style=style(),
        layout=narrow() if short else wide(),
    )


def number_text(value: float | int | None) -> str:
    """A number as a field shows it: 5.0 -> "5", None -> ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def uploaded(value: Any) -> list[tuple[str, bytes]]:
    """The files in a FileUpload widget's `value` as (name, content) pairs, whichever shape the installed
    ipywidgets gives it (a tuple of dicts in 8, a dict by name in 7; content bytes or a memoryview)."""
    items = list(value.values()) if isinstance(value, dict) else list(value or ())
    out = []
    for n, item in enumerate(items):
        content = item.get("content") or b""
        data = content.tobytes() if hasattr(content, "tobytes") else bytes(content)
        out.append((str(item.get("name") or f"upload-{n}"), data))
    return out


def refuse_empty(field: str, value: str, message: str) -> str:
    """`value` stripped, or InvalidSettings(`message`) for `field` when it is empty."""
    text = value.strip()
    if not text:
        raise InvalidSettings(message, field=field)
    return text


def as_sentence(text: str) -> str:
    """A field's message starting with a capital, as a sentence under the field does. The settings' messages
    start with the setting's name ("port 99999 is out of range", "The domain 'x y' holds spaces": the command
    line prints them after "error:"), so the form showed some capitalised and some not. Only a first word of
    lower-case letters is changed: a message that starts with what was typed (a quoted value, a file name, a
    host name with dots) keeps it as typed."""
    first = text.split(" ", 1)[0]
    if first.isalpha() and first.isascii() and first.islower():
        return text[:1].upper() + text[1:]
    return text
