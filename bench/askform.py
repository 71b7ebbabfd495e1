"""The reader's form as the benchmark fills it: hidden fields as served, plus typed text."""

from html.parser import HTMLParser

ASK_FIELDS = {
    "body": "My manager keeps moving my review date. How do I ask for the raise I was promised?",
    "signature": "B",
    "name": "Bench Reader",
    "email": "bench@reader.example",
}


class FormInputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values = {}
        self.select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            self.values.setdefault(attrs["name"], attrs.get("value") or "")
        elif tag == "select":
            self.select = attrs.get("name")
        elif tag == "option" and self.select and attrs.get("value"):
            self.values.setdefault(self.select, attrs["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None


def form_fields(html):
    """Every named input's served value, and each select's first real option, then ASK_FIELDS."""
    inputs = FormInputs()
    inputs.feed(html)
    return {**inputs.values, **ASK_FIELDS}
