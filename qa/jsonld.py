"""schema.org JSON-LD: a column is a QAPage (with its Article facts), a profile a ProfilePage."""

import json

from django.conf import settings
from django.utils import timezone
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


def when(moment):
    """A JSON-LD date-time: ISO 8601 to the second, in the site's time zone."""
    return timezone.localtime(moment).replace(microsecond=0).isoformat() if moment else None


def publisher(publication, *, logo_url):
    """The publication as an Organization with its logo, referred to by ``@id`` elsewhere."""
    home = absolute("/")
    return {
        "@type": "Organization",
        "@id": f"{home}#publisher",
        "name": publication.name,
        "url": home,
        "logo": {"@type": "ImageObject", "url": absolute(logo_url), "width": 1200, "height": 630},
    }


def column_graph(column, answers, *, publication, image_url="", logo_url):
    """
    The column as one JSON-LD graph: a ``QAPage`` whose main entity is the reader's
    ``Question``, each approved answer an ``Answer`` with its expert, the ``Article`` facts
    (headline, image, dates, section, authors) and the ``Organization`` that publishes it.
    """
    url = absolute(column.get_absolute_url())
    published = when(column.published_at)
    modified = when(column.corrected_at or column.published_at)
    experts = []
    for answer in answers:
        if answer.expert not in experts:
            experts.append(answer.expert)
    organization = publisher(publication, logo_url=logo_url)
    question = {
        "@type": "Question",
        "@id": f"{url}#question",
        "name": column.title,
        "text": column.question.body,
        "answerCount": len(answers),
        "datePublished": published,
        "author": {"@type": "Person", "name": column.question.signature or "A reader"},
        "suggestedAnswer": [
            {
                "@type": "Answer",
                "url": f"{url}#answer-{answer.pk}",
                "text": strip_tags(answer.body_html).strip(),
                "datePublished": published,
                "author": person(answer.expert),
                **({"name": answer.headline} if answer.headline else {}),
            }
            for answer in answers
        ],
    }
    page = {
        "@type": "QAPage",
        "@id": url,
        "url": url,
        "name": column.title,
        "mainEntity": {"@id": question["@id"]},
        "publisher": {"@id": organization["@id"]},
    }
    article = {
        "@type": "Article",
        "@id": f"{url}#article",
        "headline": column.title,
        "description": column.dek,
        "url": url,
        "mainEntityOfPage": {"@id": url},
        "articleSection": column.category.name,
        "datePublished": published,
        "dateModified": modified,
        "author": [person(expert) for expert in experts],
        "publisher": {"@id": organization["@id"]},
        "about": {"@id": question["@id"]},
    }
    if image_url:
        article["image"] = absolute(image_url)
        page["primaryImageOfPage"] = absolute(image_url)
    nodes = [page, _clean(question), _clean(article), organization]
    return {"@context": "https://schema.org", "@graph": nodes}


def profile_graph(expert, *, publication, image_url="", logo_url):
    """An expert's profile: a ``ProfilePage`` whose main entity is the expert, a ``Person``."""
    url = absolute(expert.get_absolute_url())
    organization = publisher(publication, logo_url=logo_url)
    node = person(expert)
    node["@id"] = f"{url}#person"
    if expert.company:
        node["worksFor"] = node["affiliation"]
    if expert.bio:
        node["description"] = expert.bio
    if image_url:
        node["image"] = absolute(image_url)
    if expert.company_link:
        node["sameAs"] = [expert.company_link]
    page = {
        "@type": "ProfilePage",
        "@id": url,
        "url": url,
        "name": expert.name,
        "mainEntity": {"@id": node["@id"]},
        "dateModified": when(expert.updated_at),
        "publisher": {"@id": organization["@id"]},
    }
    return {"@context": "https://schema.org", "@graph": [_clean(page), node, organization]}


def _clean(node):
    return {key: value for key, value in node.items() if value not in (None, "")}


def script_tag(graph):
    """``<script type="application/ld+json">`` holding ``graph``, safe whatever its text."""
    text = json.dumps(graph, ensure_ascii=False).translate(SCRIPT_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308
