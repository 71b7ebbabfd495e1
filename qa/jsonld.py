"""schema.org JSON-LD for a column: an Article whose main entity is the reader's Question."""

import json

from django.conf import settings
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe

# Inside <script>, "</script>" or "<!--" in a title would end or confuse the element; JSON's
# \u escapes keep the text identical for any JSON parser.
SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def absolute(path):
    return path if path.startswith(("http://", "https://")) else settings.SITE_URL + path


def person(expert):
    node = {"@type": "Person", "name": expert.name, "url": absolute(expert.get_absolute_url())}
    if expert.company:
        organization = {"@type": "Organization", "name": expert.company}
        if expert.company_link:
            organization["url"] = expert.company_link
        node["affiliation"] = organization
    return node


def column_graph(column, answers, *, image_url=""):
    """The column as a JSON-serialisable dict."""
    url = absolute(column.get_absolute_url())
    experts = []
    for answer in answers:
        if answer.expert not in experts:
            experts.append(answer.expert)
    question = {
        "@type": "Question",
        "name": column.title,
        "text": column.question.body,
        "answerCount": len(answers),
    }
    if column.question.signature:
        question["author"] = {"@type": "Person", "name": column.question.signature}
    question["suggestedAnswer"] = [
        {
            "@type": "Answer",
            "url": f"{url}#answer-{answer.pk}",
            "text": strip_tags(answer.body_html).strip(),
            "author": person(answer.expert),
            **({"name": answer.headline} if answer.headline else {}),
        }
        for answer in answers
    ]
    article = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": column.title,
        "description": column.dek,
        "url": url,
        "mainEntityOfPage": url,
        "articleSection": column.category.name,
        "datePublished": column.published_at.isoformat() if column.published_at else None,
        "dateModified": (column.corrected_at or column.published_at).isoformat()
        if column.published_at
        else None,
        "author": [person(expert) for expert in experts],
        "mainEntity": question,
    }
    if image_url:
        article["image"] = absolute(image_url)
    return {key: value for key, value in article.items() if value not in (None, "")}


def script_tag(graph):
    """``<script type="application/ld+json">`` holding ``graph``, safe whatever its text."""
    text = json.dumps(graph, ensure_ascii=False).translate(SCRIPT_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308
