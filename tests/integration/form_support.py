"""A page's form read as a browser reads it, to be sent back with some inputs changed."""

from html.parser import HTMLParser

import httpx


class FormValues(HTMLParser):
    """The pairs a browser would send for the page's form of class `event-form` (its buttons aside)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.pairs: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._inside = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._inside = "event-form" in a.get("class", "").split()
        if not self._inside:
            return
        kind = a.get("type", "text")
        if tag == "input" and "name" in a and kind not in ("submit", "button"):
            if kind != "checkbox" or "checked" in a:
                self.pairs.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.pairs.append((a["name"], ""))
        elif tag == "select":
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            name, before = self.pairs[-1]
            self.pairs[-1] = (name, before + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            name, text = self.pairs[-1]
            # The HTML parser keeps the newline a browser drops right after <textarea>.
            self.pairs[-1] = (name, text[1:] if text.startswith("\n") else text)
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected] or [self._options[0][0]]
            self.pairs.append((self._select, chosen[0]))
            self._select = None
        elif tag == "form":
            self._inside = False

    def with_changes(self, changes: dict[str, str | None], action: str = "save") -> dict[str, list[str]]:
        """The form as httpx sends it, with `changes` (None unticks a box or drops an input), pressing `action`."""
        sent: dict[str, list[str]] = {}
        for name, value in self.pairs:
            if name not in changes:
                sent.setdefault(name, []).append(value)
        for name, changed in changes.items():
            if changed is not None:
                sent[name] = [changed]
        sent["action"] = [action]
        return sent


async def form_values(http: httpx.AsyncClient, path: str) -> FormValues:
    page = await http.get(path)
    assert page.status_code == 200, page.text[:500]
    return FormValues(page.text)
