"""
The permission matrix, generated from the URL configuration and the admin registry.

Every URL pattern is found by walking ``get_resolver()``; each must match a rule below, or the
test fails naming it, so a new route cannot ship unclassified. Each URL is requested with GET
and POST by every role: anonymous, a reader with a status token, expert A, expert B, an editor,
a superuser and an inactive expert. Object URLs are tried with the role's own object and with
another's (forged ids); refused POSTs must leave the database as it was, and an expert's POST to
their own answer and profile with forged fields (status, expert, column, position, name, slug,
on-the-panel) changes only what an expert may change.

A status link is a bearer link: the reader opens it from an email, on any device, so whoever
holds the token reads that one question. Another reader's question can only be reached by its
token, which no one else has: its id, a neighbouring token, another shape of token all 404.
"""

import re
from dataclasses import dataclass

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from qa.models import (
    Answer,
    Column,
    Dispatch,
    Expert,
    NewsletterSend,
    Publication,
    Question,
    Subscriber,
    Transition,
)
from qa.roles import EDITORS as EDITORS_GROUP

from .factories import (
    AnswerFactory,
    ColumnFactory,
    EditorFactory,
    ExpertUserFactory,
    QuestionFactory,
)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "reader", "expert_a", "expert_b", "editor", "superuser", "inactive_expert"]
SIGNED_OUT = {"anonymous", "reader", "inactive_expert"}
STAFF = {"expert_a", "expert_b", "editor", "superuser"}
EDITORS = {"editor", "superuser"}
EXPERTS = {"expert_a", "expert_b"}

# What a cell expects.
OK, LOGIN, FORBIDDEN, MISSING, NOT_FOUND, NOT_ALLOWED, REDIRECT, BAD = (
    "200",
    "sign-in page",
    "403",
    "redirect to the admin index (its 'does not exist' answer)",
    "404",
    "405",
    "redirect",
    "400",
)


def walk(resolver=None, prefix="", namespace=""):
    """Every URL pattern: (route as written, namespaced name or '', the pattern)."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace or ""]))
            yield from walk(pattern, route, inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield route, name or "", pattern


# -- the world the matrix runs in ------------------------------------------------------------


@dataclass
class World:
    users: dict
    answers: dict
    experts: dict
    objects: dict  # model -> a row to address
    column: Column
    questions: dict  # "reader": the reader's own question; "other": another reader's


@pytest.fixture
def world(django_user_model):
    expert_a = ExpertUserFactory(username="alice")
    expert_b = ExpertUserFactory(username="bob")
    inactive = ExpertUserFactory(username="gone", is_active=False)
    editor = EditorFactory(username="ed")
    superuser = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    column = ColumnFactory(published=True)
    answers = {
        "expert_a": AnswerFactory(
            column=column, expert=expert_a.expert, status=Answer.Status.DRAFT, headline="A's"
        ),
        "expert_b": AnswerFactory(
            column=column, expert=expert_b.expert, status=Answer.Status.DRAFT, headline="B's"
        ),
    }
    Publication.current()
    transition = Transition.objects.create(action="column-published", column=column)
    dispatch = Dispatch.objects.create(key="k", to="x@example.com", subject="s")
    subscriber = Subscriber.objects.create(email="sub@example.com")
    send = NewsletterSend.objects.create(column=column, subject="s", html="", text="")
    attempt = AccessAttempt.objects.create(
        username="x",
        ip_address="192.0.2.1",
        user_agent="",
        get_data="",
        post_data="",
        failures_since_start=1,
    )
    log = AccessLog.objects.create(username="x", ip_address="192.0.2.1", user_agent="")
    failure = AccessFailureLog.objects.create(username="x", ip_address="192.0.2.1", user_agent="")
    # For view-on-site: a draft expert A is invited to, and a published column nobody here is.
    draft_column = ColumnFactory(title="Secret draft title")
    AnswerFactory(column=draft_column, expert=expert_a.expert, status=Answer.Status.INVITED)
    uninvited_column = ColumnFactory(published=True)
    objects = {
        "draft_column": draft_column,
        "uninvited_column": uninvited_column,
        "qa.column": column,
        "qa.category": column.category,
        "qa.question": column.question,
        "qa.publication": Publication.current(),
        "qa.transition": transition,
        "qa.dispatch": dispatch,
        "qa.subscriber": subscriber,
        "qa.newslettersend": send,
        "auth.user": editor,
        "auth.group": Group.objects.get(name=EDITORS_GROUP),
        "axes.accessattempt": attempt,
        "axes.accesslog": log,
        "axes.accessfailurelog": failure,
        "foreign_answer": AnswerFactory(status=Answer.Status.SUBMITTED),  # another column's
    }
    users = {
        "expert_a": expert_a,
        "expert_b": expert_b,
        "editor": editor,
        "superuser": superuser,
        "inactive_expert": inactive,
    }
    experts = {"expert_a": expert_a.expert, "expert_b": expert_b.expert}
    questions = {"reader": QuestionFactory(), "other": QuestionFactory()}
    return World(users, answers, experts, objects, column, questions)


@pytest.fixture
def clients(world):
    signed_in = {"anonymous": Client(), "reader": Client()}
    for role, user in world.users.items():
        signed_in[role] = Client()
        signed_in[role].force_login(user)
    return signed_in


class NoRow:
    pk = 987654


# -- the rules -------------------------------------------------------------------------------

OWNED = {"qa.answer", "qa.expert"}  # experts see their own rows of these, nothing else
EDITORIAL = {"qa.column", "qa.category", "qa.question", "qa.publication"}
# Written by services, read by editors (subscribers' addresses only with a permission).
LOGS = {"qa.transition", "qa.dispatch", "qa.subscriber", "qa.newslettersend"}


def admin_model_outcome(role, label, action, owner, model_admin, request_for):
    """What the admin must answer ``role`` for ``action`` on a row of ``label``."""
    if role in SIGNED_OUT:
        return LOGIN
    if owner == "nobody" and action == "history":
        return MISSING  # the admin looks the row up before it asks about permissions
    if label in OWNED:
        if role in EXPERTS:
            if action == "changelist":
                return OK
            if action in {"add", "delete"}:
                return FORBIDDEN  # asked before the row is looked up: never theirs to do
            if owner != role:
                return MISSING  # another expert's row is not in their admin at all
            return FORBIDDEN if action == "delete" else OK
        if action == "add" and label == "qa.answer":
            return FORBIDDEN  # answers begin as invitations, from the service
        return OK
    if label in EDITORIAL | LOGS:
        if role in EXPERTS:
            return FORBIDDEN
        if label in LOGS and action in {"add", "delete"}:
            return FORBIDDEN
        if label == "qa.publication" and action in {"add", "delete"}:
            return FORBIDDEN  # one row, kept for good
        if label == "qa.column" and action == "add":
            return FORBIDDEN  # a column begins when an editor picks a question
        return OK
    # Accounts, sign-in records and the task queue: the superuser's alone, as their admin says.
    if role != "superuser":
        return FORBIDDEN
    request = request_for(role)
    allowed = {
        "changelist": model_admin.has_view_or_change_permission(request),
        "add": model_admin.has_add_permission(request),
        "change": model_admin.has_view_or_change_permission(request),
        "history": model_admin.has_view_or_change_permission(request),
        "delete": model_admin.has_delete_permission(request),
    }[action]
    if not allowed:
        return FORBIDDEN
    return MISSING if owner == "nobody" and action != "changelist" else OK


def outcome_of(response):
    code = response.status_code
    if code in (301, 302):
        location = response["Location"]
        if "/admin/login/" in location:
            return LOGIN
        if location in ("/admin/", "/admin"):
            return MISSING
        return REDIRECT
    return {200: OK, 403: FORBIDDEN, 404: NOT_FOUND, 405: NOT_ALLOWED, 400: BAD}.get(
        code, str(code)
    )


def table_state():
    """Everything the matrix could change, to prove a refused POST changed nothing."""
    return {
        model.__name__: sorted(map(repr, model.objects.values_list()))
        for model in [
            Answer,
            Expert,
            Column,
            Question,
            Publication,
            Transition,
            Dispatch,
            Group,
            Subscriber,
            NewsletterSend,
        ]
    }


MODEL_ACTION = re.compile(
    r"^admin:(?P<model>[a-z_]+?)_(?P<action>changelist|add|change|history|delete)$"
)


def plan_for(route, name, world, rf):
    """
    The cells of one URL pattern: [(url, {role: GET outcome}, POST rule or None, model label,
    action)], or None when no rule covers the pattern.
    """
    registry = {
        f"{m._meta.app_label}_{m._meta.model_name}": (m._meta.label_lower, ma)
        for m, ma in admin.site._registry.items()
    }

    def request_for(role):
        request = rf.get("/")
        request.user = world.users[role]
        return request

    def rows_for(label):
        """The rows object URLs are tried on: every owned row (own and forged), or the one row."""
        if label == "qa.answer":
            return list(world.answers.items())
        if label == "qa.expert":
            return list(world.experts.items())
        if label not in world.objects:
            return [("nobody", NoRow())]  # a table with no rows: an id that finds nothing
        return [(None, world.objects[label])]

    plan = []
    found = MODEL_ACTION.match(name)
    if found and found["model"] in registry:
        label, model_admin = registry[found["model"]]
        action = found["action"]
        app, model = label.split(".")
        if action in {"changelist", "add"}:
            targets = [(None, f"/admin/{app}/{model}/" + ("add/" if action == "add" else ""))]
        else:
            targets = [
                (owner, f"/admin/{app}/{model}/{row.pk}/{action}/")
                for owner, row in rows_for(label)
            ]
        for owner, url in targets:
            gets = {
                role: admin_model_outcome(role, label, action, owner, model_admin, request_for)
                for role in ROLES
            }
            plan.append((url, gets, None, label, action))
    elif name == "" and re.fullmatch(r"admin/[a-z_]+/[a-z_]+/<path:object_id>/", route):
        app, model = route.split("/")[1:3]
        label = f"{app}.{model}"
        for _owner, row in rows_for(label):
            gets = {role: LOGIN if role in SIGNED_OUT else REDIRECT for role in ROLES}
            plan.append((f"/admin/{app}/{model}/{row.pk}/", gets, None, label, "redirect"))
    elif name in TOKEN_ROUTES:
        suffix = TOKEN_ROUTES[name]
        own = world.questions["reader"].token
        get_rule, post_rule = every(OK), every(NOT_ALLOWED)
        if suffix == "delete/":
            # The first POST (anonymous: whoever holds the link) erases the question, token
            # included, then goes to the page that says so; from then on the link finds
            # nothing, for anyone. (The reader's other pages are tried before this one.)
            def get_rule(role):
                return OK if role == "anonymous" else NOT_FOUND

            def post_rule(role):
                return REDIRECT if role == "anonymous" else NOT_FOUND

        # GET-only pages refuse a POST before they look the token up; delete looks it up first.
        forged_post = every(NOT_FOUND) if suffix == "delete/" else every(NOT_ALLOWED)
        for token in forged_tokens(world):
            url = f"/questions/{token}/{suffix}"
            plan.append((url, dict.fromkeys(ROLES, NOT_FOUND), forged_post, None, name))
        own_gets = {role: get_rule(role) for role in ROLES}
        plan.append((f"/questions/{own}/{suffix}", own_gets, post_rule, None, name))
    elif name in SITE_RULES or route in ROUTE_RULES:
        rules = SITE_RULES.get(name) or ROUTE_RULES[route]
        if isinstance(rules, tuple):
            rules = [rules]
        for url, rule, post_rule in rules:
            url = url.format(
                ct=ContentType.objects.get_for_model(Column).pk,
                question_ct=ContentType.objects.get_for_model(Question).pk,
                expert_ct=ContentType.objects.get_for_model(Expert).pk,
                expert=world.experts["expert_b"].pk,
                draft_column=world.objects["draft_column"].pk,
                uninvited_column=world.objects["uninvited_column"].pk,
                question=world.questions["other"].pk,
                column=world.column.pk,
                slug=world.column.slug,
                category=world.column.category.slug,
                user=world.users["editor"].pk,
                answer=world.answers["expert_a"].pk,
                foreign_answer=world.objects["foreign_answer"].pk,
            )
            plan.append((url, {role: rule(role) for role in ROLES}, post_rule, None, name))
    else:
        return None
    return plan


def test_a_route_without_a_rule_is_not_silently_skipped(world, rf):
    """A new page must be classified before the matrix passes."""
    assert plan_for("reports/<str:token>/", "qa:report", world, rf) is None
    assert plan_for("", "qa:home", world, rf) is not None


def forged_tokens(world):
    """Tokens a reader might try for a question that is not theirs."""
    own = world.questions["reader"].token
    other = world.questions["other"]
    flipped = own[:-1] + ("A" if own[-1] != "A" else "B")
    return [
        str(other.pk),  # the other question's id
        flipped,  # one character off their own
        own.upper() if own.upper() != own else own.lower(),
        own[:-1],  # a prefix of their own
        "0" * len(own),
        "a" * 64,
    ]


def test_every_url_every_role(world, clients, rf, capsys):
    cells = []  # (method, url, role, expected, got)
    unclassified = []
    for route, name, _pattern in walk():
        plan = plan_for(route, name, world, rf)
        if plan is None:
            unclassified.append(f"{route!r} (name {name!r})")
            continue

        for url, gets, post_rule, label, action in plan:
            for role in ROLES:
                client = clients[role]
                if action == "admin:logout":
                    client = Client()  # signing out would end the role's session
                    if role in world.users:
                        client.force_login(world.users[role])
                got = outcome_of(client.get(url))
                cells.append(("GET", url, role, gets[role], got))

                # POST: refused for whoever GET refuses, and then nothing changes.
                expected_post = (
                    post_rule(role) if post_rule else post_outcome(gets[role], action, label)
                )
                if expected_post is None:
                    continue
                before = table_state()
                got = outcome_of(client.post(url, forged_fields(world, label)))
                cells.append(("POST", url, role, expected_post, got))
                if expected_post in {LOGIN, FORBIDDEN, MISSING, NOT_ALLOWED, NOT_FOUND}:
                    assert table_state() == before, ("POST changed data", url, role)

    assert not unclassified, "URLs with no rule in the permission matrix:\n" + "\n".join(
        unclassified
    )
    failures = [cell for cell in cells if cell[3] != cell[4]]
    with capsys.disabled():
        print(f"\nPermission matrix: {len(cells)} cells tested, {len(failures)} failures")
    assert not failures, "\n".join(
        f"{method} {url} as {role}: expected {expected}, got {got}"
        for method, url, role, expected, got in failures
    )


def post_outcome(get_outcome, action, label):
    """A POST is refused exactly as a GET is; allowed POSTs are left to the admin's own tests."""
    if get_outcome in {LOGIN, FORBIDDEN, MISSING, NOT_FOUND}:
        return get_outcome
    return None


def forged_fields(world, label):
    """A POST body that tries everything: a status, another expert, another column, ids."""
    return {
        "status": "approved",
        "expert": world.experts["expert_b"].pk,
        "column": world.column.pk,
        "position": 1,
        "headline": "Forged",
        "body": "Forged",
        "name": "Forged",
        "slug": "forged",
        "is_active": "on",
        "is_superuser": "on",
        "is_staff": "on",
        "title": "Forged",
        "post": "yes",  # confirms a delete
    }


def staff_only(outcome):
    return lambda role: LOGIN if role in SIGNED_OUT else outcome


def every(outcome):
    return lambda role: outcome


def editors_only(outcome):
    """Signed-out roles sign in; experts are refused; editors and the superuser get ``outcome``."""
    return lambda role: LOGIN if role in SIGNED_OUT else FORBIDDEN if role in EXPERTS else outcome


# The reader's pages, by the path after the token.
TOKEN_ROUTES = {
    "qa:question_status": "",
    "qa:question_sent": "sent/",
    "qa:question_delete": "delete/",
    "qa:question_data": "data.json",
}


def editors_redirect_experts_not_found(role):
    return LOGIN if role in SIGNED_OUT else NOT_FOUND if role in EXPERTS else REDIRECT


# View on site: an expert is sent only where the public site already shows them, and only to
# a column they were invited to; an editor to any row their admin shows; the rest is a 404.
VIEW_ON_SITE = [
    # Published, both experts invited.
    ("/admin/r/{ct}/{column}/", staff_only(REDIRECT), None),
    # A draft expert A is invited to: its slug is its title.
    ("/admin/r/{ct}/{draft_column}/", editors_redirect_experts_not_found, None),
    # Published, but neither expert was invited.
    ("/admin/r/{ct}/{uninvited_column}/", editors_redirect_experts_not_found, None),
    # A published expert profile.
    ("/admin/r/{expert_ct}/{expert}/", staff_only(REDIRECT), None),
    # Questions have no page; ids and content types that do not exist; ids that are not ids.
    ("/admin/r/{question_ct}/{question}/", staff_only(NOT_FOUND), None),
    ("/admin/r/{ct}/987654/", staff_only(NOT_FOUND), None),
    ("/admin/r/{ct}/not-an-id/", staff_only(NOT_FOUND), None),
    ("/admin/r/987654/{column}/", staff_only(NOT_FOUND), None),
]


# name: (URL to try, GET rule, POST rule or None: "refused as GET is, else the admin's tests").
SITE_RULES = {
    "healthz": ("/healthz", every(OK), every(OK)),
    # Readiness: the same for everyone, read-only; 503 here, where no periodic tick has run.
    "readyz": ("/readyz", every("503"), every(NOT_ALLOWED)),
    "qa:home": ("/", every(OK), every(NOT_ALLOWED)),
    "qa:column": ("/columns/{slug}/", every(OK), every(NOT_ALLOWED)),
    "qa:category": ("/topics/no-such-topic/", every(NOT_FOUND), every(NOT_ALLOWED)),
    "qa:expert": ("/experts/nobody/", every(NOT_FOUND), every(NOT_ALLOWED)),
    "admin:index": ("/admin/", staff_only(OK), None),
    # Signing in by POST is test_admin_lockout's: here it would lock the test's address.
    "admin:login": (
        "/admin/login/",
        lambda role: OK if role in SIGNED_OUT else MISSING,
        every(None),
    ),
    # Signing out is by POST only (each role on a client of its own, to keep its session).
    "admin:logout": (
        "/admin/logout/",
        lambda role: MISSING if role in SIGNED_OUT else NOT_ALLOWED,
        lambda role: MISSING if role in SIGNED_OUT else OK,
    ),
    # Sign-in in two steps (qa/admin/signin.py), before the admin's own login.
    "signin": (
        "/admin/login/",
        lambda role: OK if role in SIGNED_OUT else MISSING,
        every(None),
    ),
    # The second step with no first step behind it: back to the password, for everyone.
    "signin_code": ("/admin/login/code/", every(LOGIN), every(LOGIN)),
    # Enrolment: for a signed-in staff member, their own; else only after the password.
    "signin_enrol": ("/admin/login/enrol/", staff_only(OK), staff_only(OK)),
    "signin_enrol_finish": ("/admin/login/enrol/done/", every(NOT_ALLOWED), every(MISSING)),
    "signin_two_factor": ("/admin/two-factor/", staff_only(OK), None),
    "signin_staff_two_factor": ("/admin/two-factor/staff/", editors_only(OK), None),
    "admin:password_change": ("/admin/password_change/", staff_only(OK), None),
    "admin:password_change_done": ("/admin/password_change/done/", staff_only(OK), None),
    "admin:autocomplete": (
        "/admin/autocomplete/",
        staff_only(FORBIDDEN),
        staff_only(NOT_ALLOWED),
    ),
    "admin:jsi18n": ("/admin/jsi18n/", staff_only(OK), None),
    # Django's own is shadowed by ours (qa/admin/view_on_site.py): the same URLs.
    "admin:view_on_site": VIEW_ON_SITE,
    "view_on_site": VIEW_ON_SITE,
    "admin:app_list": ("/admin/qa/", staff_only(OK), None),
    "admin:auth_user_password_change": (
        "/admin/auth/user/{user}/password/",
        lambda role: LOGIN if role in SIGNED_OUT else OK if role == "superuser" else FORBIDDEN,
        None,
    ),
    # The editors' pages the column admin adds; an expert's admin has no columns.
    "admin:qa_column_calendar": ("/admin/qa/column/calendar/", editors_only(OK), None),
    "admin:qa_column_panel": ("/admin/qa/column/panel/", editors_only(OK), None),
    "admin:qa_column_invite": [
        ("/admin/qa/column/{column}/invite/", editors_only(OK), None),
        ("/admin/qa/column/987654/invite/", editors_only(NOT_FOUND), None),
    ],
    "admin:qa_column_schedule": [
        ("/admin/qa/column/{column}/schedule/", editors_only(OK), None),
        ("/admin/qa/column/987654/schedule/", editors_only(NOT_FOUND), None),
    ],
    # The column is published: editors are asked to confirm; a POST is tried in the tests of
    # the admin, since it would change the world the other cells share.
    "admin:qa_column_unpublish": [
        ("/admin/qa/column/{column}/unpublish/", editors_only(OK), None),
        ("/admin/qa/column/987654/unpublish/", editors_only(NOT_FOUND), editors_only(NOT_FOUND)),
    ],
    "admin:qa_column_answer_action": [
        # A draft cannot be approved: the editor is sent back with a message, nothing changes.
        (
            "/admin/qa/column/{column}/answers/{answer}/approve/",
            editors_only(NOT_ALLOWED),
            editors_only(REDIRECT),
        ),
        # Forged: an answer of another column, a verb that is not one, a column that is not.
        (
            "/admin/qa/column/{column}/answers/{foreign_answer}/approve/",
            editors_only(NOT_ALLOWED),
            editors_only(FORBIDDEN),
        ),
        (
            "/admin/qa/column/{column}/answers/{answer}/publish/",
            editors_only(NOT_ALLOWED),
            editors_only(FORBIDDEN),
        ),
        (
            "/admin/qa/column/987654/answers/{answer}/approve/",
            editors_only(NOT_FOUND),
            editors_only(NOT_FOUND),
        ),
    ],
    # The public site: read-only, the same for everyone.
    "qa:archive": ("/columns/", every(OK), every(NOT_ALLOWED)),
    "qa:experts": ("/experts/", every(OK), every(NOT_ALLOWED)),
    "qa:search": ("/search/?q=interview", every(OK), every(NOT_ALLOWED)),
    "qa:robots": ("/robots.txt", every(OK), every(NOT_ALLOWED)),
    "qa:favicon": ("/favicon.ico", every(REDIRECT), every(NOT_ALLOWED)),
    "qa:feed": ("/feed/", every(OK), every(NOT_ALLOWED)),
    "qa:feed_atom": ("/feed/atom/", every(OK), every(NOT_ALLOWED)),
    "qa:category_feed": [
        ("/topics/{category}/feed/", every(OK), every(NOT_ALLOWED)),
        ("/topics/no-such-topic/feed/", every(NOT_FOUND), every(NOT_ALLOWED)),
    ],
    "qa:sitemap": ("/sitemap.xml", every(OK), every(NOT_ALLOWED)),
    # Uploaded files: public, read-only; nothing outside the media folder.
    "media": [
        ("/media/headshots/nobody.jpg", every(NOT_FOUND), every(NOT_ALLOWED)),
        ("/media/../panel/settings.py", every(NOT_FOUND), every(NOT_ALLOWED)),
    ],
    # The publication's card (og:image): an old version redirects to the current one.
    "qa:publication_card": ("/card/0123abcd.png", every(REDIRECT), every(NOT_ALLOWED)),
    # Drafts included, so editors only: an expert must not read the others' answers early.
    "qa:column_preview": [
        ("/preview/columns/{column}/", editors_only(OK), editors_only(OK)),
        ("/preview/columns/987654/", editors_only(NOT_FOUND), editors_only(NOT_FOUND)),
    ],
    # The forged fields are not a question: the form answers with its errors, nothing is saved.
    "qa:ask": ("/ask/", every(OK), every(OK)),
    "qa:question_deleted": ("/questions/deleted/", every(OK), every(NOT_ALLOWED)),
    "qa:ask_similar": ("/ask/similar/?q=interview", every(OK), every(NOT_ALLOWED)),
    # The newsletter: the form answers forged fields with its errors; every tokenised page
    # answers a forged token with 404, to GET and POST alike.
    "newsletter:subscribe": ("/newsletter/", every(OK), every(BAD)),
    "newsletter:sent": ("/newsletter/sent/", every(OK), every(NOT_ALLOWED)),
    "newsletter:confirm": ("/newsletter/confirm/forged/", every(NOT_FOUND), every(NOT_FOUND)),
    "newsletter:preferences": (
        "/newsletter/preferences/forged/",
        every(NOT_FOUND),
        every(NOT_FOUND),
    ),
    "newsletter:unsubscribe": (
        "/newsletter/unsubscribe/forged/",
        every(NOT_FOUND),
        every(NOT_FOUND),
    ),
    # "Send the newsletter to myself first": POST only, editors only.
    "admin:qa_newslettersend_test": [
        (
            "/admin/qa/newslettersend/test/{column}/",
            staff_only(NOT_ALLOWED),
            editors_only(REDIRECT),
        ),
        (
            "/admin/qa/newslettersend/test/987654/",
            staff_only(NOT_ALLOWED),
            editors_only(NOT_FOUND),
        ),
    ],
    # The provider's webhook: POST only, and refused without Mailgun's signature.
    "mailgun_tracking_webhook": (
        "/anymail/mailgun/tracking/",
        every(NOT_ALLOWED),
        every(BAD),
    ),
    "markdownx_markdownify": (
        "/markdownx/markdownify/",
        lambda role: FORBIDDEN if role in SIGNED_OUT else NOT_ALLOWED,
        None,
    ),
    "markdownx_upload": (
        "/markdownx/upload/",
        lambda role: FORBIDDEN if role in SIGNED_OUT else NOT_ALLOWED,
        None,
    ),
}
# Unnamed routes, by the route as written.
ROUTE_RULES = {
    "admin/(?P<url>.*)$": ("/admin/no-such-page/", staff_only(NOT_FOUND), None),
    "^media/(?P<path>.*)$": ("/media/headshots/none.jpg", every(NOT_FOUND), None),
}


def test_forged_fields_on_an_experts_own_answer_change_only_what_they_may(world, clients):
    """Mass assignment: status, expert, column, position, body_html posted along are ignored."""
    # An expert changes an answer only while its column is still answering.
    Column.objects.filter(pk=world.column.pk).update(
        status=Column.Status.COLLECTING, published_at=None
    )
    own = world.answers["expert_a"]
    version_before = own.version
    other_column = ColumnFactory()
    response = clients["expert_a"].post(
        f"/admin/qa/answer/{own.pk}/change/",
        {
            "headline": "My new headline",
            "body": "My **new** body",
            "status": "approved",
            "expert": world.experts["expert_b"].pk,
            "column": other_column.pk,
            "position": 77,
            "version": 99,
            "expected_version": own.version,
            "body_html": "<script>alert(1)</script>",
            "editor_note": "forged",
        },
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert (own.headline, own.body) == ("My new headline", "My **new** body")
    assert own.body_html == "<p>My <strong>new</strong> body</p>"
    assert (own.status, own.expert_id, own.column_id) == (
        Answer.Status.DRAFT,
        world.experts["expert_a"].pk,
        world.column.pk,
    )
    assert own.position != 77
    assert own.version == version_before + 1  # one save, counted by the service, not the form
    assert own.editor_note == ""


def test_forged_fields_on_an_experts_own_profile_change_only_what_they_may(world, clients):
    profile = world.experts["expert_a"]
    before = (profile.name, profile.slug, profile.is_active, profile.user_id)
    response = clients["expert_a"].post(
        f"/admin/qa/expert/{profile.pk}/change/",
        {
            "bio": "New bio",
            "company": "New Co",
            "company_url": "https://new.example/",
            "name": "Someone Else",
            "slug": "someone-else",
            "is_active": "",
            "user": world.users["editor"].pk,
            "categories": [world.column.category_id],
        },
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert (profile.bio, profile.company, profile.company_url) == (
        "New bio",
        "New Co",
        "https://new.example/",
    )
    assert (profile.name, profile.slug, profile.is_active, profile.user_id) == before
    assert not profile.categories.exists()


def test_a_javascript_company_url_is_refused_with_a_clear_error(world, clients):
    profile = world.experts["expert_a"]
    response = clients["expert_a"].post(
        f"/admin/qa/expert/{profile.pk}/change/",
        {"bio": "x", "company": "x", "company_url": "javascript:alert(1)"},
    )
    assert response.status_code == 200
    assert "Enter a valid URL." in response.text
    profile.refresh_from_db()
    assert profile.company_url == ""
