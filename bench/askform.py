"""The reader's form as the benchmark fills it: hidden fields as served, plus typed text."""

from html.parser import HTMLParser

# BENCHN is replaced with the request's number by the load script, so that every send is a new
# question (the same text twice from one reader is kept once) and the row measures an insert.
SEND_NUMBER = "BENCHN"
ASK_FIELDS = {
    "body": "My manager keeps moving my review date. How do I ask for the raise I was promised? "
    f"(send {SEND_NUMBER})",
    "signature": "B",
    "name": "Bench Reader",
    "email": "bench@reader.example",
    "consent": "on",
    "website": "",
}


class FormInputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values = {}
        self.select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            if attrs.get("type") == "checkbox":
                return  # unticked, as served; ASK_FIELDS ticks consent
            self.values.setdefault(attrs["name"], attrs.get("value") or "")
        elif tag == "select":
            self.select = attrs.get("name")
        elif tag == "option" and self.select and attrs.get("value"):
            self.values.setdefault(self.select, attrs["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None


def form_fields(html):
    """
    Every named input's served value (the signed ``started`` among them), each select's first
    real option (the topic), then ASK_FIELDS: the form's fields as qa/forms.py names them.
    """
    inputs = FormInputs()
    inputs.feed(html)
    return {**inputs.values, **ASK_FIELDS}
