"""
schema.org JSON-LD and OpenGraph, read back by extruct as a search engine would: the column is a
QAPage with its Question, Answers and Article facts in one graph; a profile is a ProfilePage
with a Person; home and topics carry the publication's card.
"""

import pytest
from extruct import extract

from .factories import EditorFactory
from .published import publish_through_services

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_roles"),
]

SITE = "https://panel.example.com"


@pytest.fixture
def published(settings):
    settings.SITE_URL = SITE
    return publish_through_services(EditorFactory(username="sd-editor"))


def read(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return extract(
        response.content.decode(), base_url=SITE + path, syntaxes=["json-ld", "opengraph"]
    )


def graph(data):
    (document,) = data["json-ld"]
    assert document["@context"] == "https://schema.org"
    return {node["@type"]: node for node in document["@graph"]}


def opengraph(data):
    (og,) = data["opengraph"]
    return dict(og["properties"])


def is_moment(value):
    # ISO 8601 with a zone, to the second: no microseconds
    return len(value) == 25 and value[10] == "T" and value[19] in "+-"


def test_the_column_is_a_qa_page_whose_main_entity_is_the_question(client, published):
    column = published.column
    url = SITE + column.get_absolute_url()
    nodes = graph(read(client, column.get_absolute_url()))
    assert set(nodes) == {"QAPage", "Question", "Article", "Organization"}
    page, question = nodes["QAPage"], nodes["Question"]
    assert page["url"] == page["@id"] == url
    assert page["mainEntity"] == {"@id": question["@id"]}
    assert question["name"] == column.title
    assert question["text"] == published.question.body
    assert question["answerCount"] == 2
    assert is_moment(question["datePublished"])
    assert question["author"] == {"@type": "Person", "name": "D"}


def test_each_answer_has_its_date_author_with_affiliation_and_url(client, published):
    column = published.column
    question = graph(read(client, column.get_absolute_url()))["Question"]
    answers = question["suggestedAnswer"]
    assert [a["name"] for a in answers] == [a.headline for a in published.answers]
    debra, don = answers
    for node, answer in zip(answers, published.answers, strict=True):
        assert node["@type"] == "Answer"
        assert node["url"] == f"{SITE}{column.get_absolute_url()}#answer-{answer.pk}"
        assert is_moment(node["datePublished"])
        assert node["author"]["@type"] == "Person"
        assert node["author"]["url"] == SITE + answer.expert.get_absolute_url()
        assert node["text"]
    assert debra["author"]["name"] == "Debra Wheatman"
    assert debra["author"]["affiliation"] == {
        "@type": "Organization",
        "name": "Careers Done Write",
        "url": "https://careersdonewrite.example/",
    }
    assert "affiliation" not in don["author"]  # no company given


def test_the_article_facts_stay_with_a_publisher_and_its_logo(client, published):
    column = published.column
    nodes = graph(read(client, column.get_absolute_url()))
    article, organization = nodes["Article"], nodes["Organization"]
    assert article["headline"] == column.title
    assert article["description"] == column.dek
    assert article["image"].startswith(f"{SITE}/media/share/")
    assert is_moment(article["datePublished"]) and is_moment(article["dateModified"])
    assert article["mainEntityOfPage"] == {"@id": SITE + column.get_absolute_url()}
    assert [a["name"] for a in article["author"]] == ["Debra Wheatman", "Don Goodman"]
    assert article["publisher"] == {"@id": organization["@id"]}
    assert organization["name"] == "The Expert Panel"
    assert organization["url"] == f"{SITE}/"
    assert organization["logo"]["url"].startswith(f"{SITE}/card/")
    logo = client.get(organization["logo"]["url"].removeprefix(SITE))
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png"


def test_a_profile_is_a_profile_page_about_a_person(client, published):
    debra = published.experts[0]
    url = SITE + debra.get_absolute_url()
    data = read(client, debra.get_absolute_url())
    nodes = graph(data)
    page, person = nodes["ProfilePage"], nodes["Person"]
    assert page["url"] == url and page["mainEntity"] == {"@id": person["@id"]}
    assert person["name"] == "Debra Wheatman"
    assert person["url"] == url
    assert person["worksFor"]["name"] == person["affiliation"]["name"] == "Careers Done Write"
    assert person["description"] == "Debra writes résumés & coaches job seekers."
    assert person["image"].startswith(f"{SITE}/media/headshots/renditions/")
    assert person["sameAs"] == ["https://careersdonewrite.example/"]
    og = opengraph(data)
    assert og["og:type"] == "profile"
    assert og["og:image"] == person["image"]
    assert client.get(person["image"].removeprefix(SITE)).status_code == 200


def test_a_profile_without_a_headshot_shows_the_publication_card(client, published):
    don = published.experts[1]
    data = read(client, don.get_absolute_url())
    person = graph(data)["Person"]
    assert "image" not in person and "worksFor" not in person
    assert opengraph(data)["og:image"].startswith(f"{SITE}/card/")


@pytest.mark.parametrize("where", ["home", "topic", "archive", "panel"])
def test_home_and_topics_carry_the_publication_card(client, published, where):
    path = {
        "home": "/",
        "topic": published.column.category.get_absolute_url(),
        "archive": "/columns/",
        "panel": "/experts/",
    }[where]
    og = opengraph(read(client, path))
    assert og["og:image"].startswith(f"{SITE}/card/")
    assert og["og:url"] == SITE + path
    card = client.get(og["og:image"].removeprefix(SITE))
    assert card.status_code == 200 and card.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_card_follows_the_publications_name(client, published):
    from qa.models import Publication
    from qa.pagecache import pages_changed

    old = opengraph(read(client, "/"))["og:image"]
    publication = Publication.current()
    publication.name = "Career Clinic"
    publication.save()
    pages_changed()  # as the admin's save of the publication settings does
    new = opengraph(read(client, "/"))["og:image"]
    assert new != old
    assert client.get(old.removeprefix(SITE)).status_code == 302
