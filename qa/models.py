"""
The weekly cycle's vocabulary: a reader's Question, picked for one week's Column, answered by
the panel's Experts, one Answer each.

Statuses change only through the named transitions in ``qa.services``; the models hold the
invariants the database can enforce.
"""

import datetime
import hashlib
import re
import secrets
import unicodedata

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField

from .markdown import render_markdown

STANDING_INTRO = (
    "Each week, we choose one question from our readers and throw it out to our panel of "
    "approved career experts to answer. This week’s question:"
)


def status_check(field, choices):
    """A CheckConstraint that keeps ``field`` within its TextChoices."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": choices.values}),
        name="%(app_label)s_%(class)s_" + f"{field}_valid",
    )


def new_status_token():
    """192 random bits, URL-safe: the reader's private key to their question."""
    return secrets.token_urlsafe(24)


def cut_at_word(text, limit):
    """
    ``text`` on one line and at most ``limit`` characters (plus "…" when shortened), cut after
    the last whole word that fits: titles, subjects and lists never show half a word.
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    cut = head.rsplit(" ", 1)[0] if " " in head else text[:limit]
    return cut.rstrip(" ,;:.-–—") + "…"


def body_fingerprint(text):
    """A digest of a question's text that ignores case, white space and Unicode forms."""
    normalised = unicodedata.normalize("NFKC", text or "").casefold()
    normalised = re.sub(r"\s+", " ", normalised).strip()
    return hashlib.sha256(normalised.encode("utf-8", "surrogatepass")).hexdigest()


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        abstract = True


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class Publication(models.Model):
    """The publication's standing settings: one row, edited by editors in the admin."""

    name = models.CharField(_("name"), max_length=120, default="The Expert Panel")
    tagline = models.CharField(
        _("tagline"), max_length=200, blank=True, default="Career questions, answered by experts"
    )
    standing_intro = models.TextField(
        _("standing intro"),
        default=STANDING_INTRO,
        help_text=_("Printed above the reader's question in every new column."),
    )
    answer_words_min = models.PositiveIntegerField(_("answer guide: fewest words"), default=80)
    answer_words_max = models.PositiveIntegerField(_("answer guide: most words"), default=250)
    publish_weekday = models.PositiveSmallIntegerField(
        _("publication day"),
        choices=WEEKDAYS,
        default=0,
        help_text=_("The day of its week a column is published."),
    )
    answer_deadline_days = models.PositiveSmallIntegerField(
        _("answers due, days before publication"),
        default=3,
        help_text=_("The invitation form proposes this deadline; the editor can change it."),
    )
    answer_deadline_time = models.TimeField(
        _("answers due at"),
        default=datetime.time(17, 0),
        help_text=_("Time of day, in the publication's time zone."),
    )
    reply_to = models.EmailField(
        _("reply-to address"),
        blank=True,
        help_text=_(
            "Where replies to the platform's automated emails go. Empty: the editors' address "
            "(EDITOR_EMAIL)."
        ),
    )
    newsletter_from = models.CharField(
        _("newsletter sender"),
        max_length=200,
        blank=True,
        help_text=_(
            'The newsletter\'s From, e.g. "The Expert Panel <column@example.com>". Empty: '
            "the site's sender (DEFAULT_FROM_EMAIL)."
        ),
    )
    newsletter_reply_to = models.EmailField(
        _("newsletter replies go to"),
        blank=True,
        help_text=_("Where a reader's reply to the newsletter goes. Empty: the editors' address."),
    )

    class Meta:
        verbose_name = _("publication settings")
        verbose_name_plural = _("publication settings")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="qa_publication_single_row"),
            models.CheckConstraint(
                condition=Q(answer_words_min__lte=models.F("answer_words_max")),
                name="qa_publication_word_guide_ordered",
            ),
        ]

    def __str__(self):
        return self.name

    @classmethod
    def current(cls):
        publication, _created = cls.objects.get_or_create(pk=1)
        return publication


class Category(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("qa:category", kwargs={"slug": self.slug})


class QuestionQuerySet(models.QuerySet):
    def awaiting_decision(self):
        """New and shortlisted questions: the queue's default view."""
        return self.filter(status__in=[Question.Status.NEW, Question.Status.SHORTLISTED])

    def in_queue(self):
        """What the editor works from: neither erased nor spam."""
        return self.exclude(status__in=[Question.Status.SPAM, Question.Status.WITHDRAWN])


class QuestionStatus(models.TextChoices):
    NEW = "new", _("new")
    SHORTLISTED = "shortlisted", _("shortlisted")
    PICKED = "picked", _("picked")
    DECLINED = "declined", _("declined")
    SPAM = "spam", _("spam")
    WITHDRAWN = "withdrawn", _("withdrawn (erased by its reader)")


class Question(TimeStamped):
    Status = QuestionStatus

    body = models.TextField(_("question"))
    signature = models.CharField(
        _("signature"),
        max_length=60,
        blank=True,
        help_text=_('The public sign-off, e.g. "D". Never the full name.'),
    )
    name = models.CharField(_("reader's name"), max_length=120, blank=True)
    email = models.EmailField(_("reader's email"), blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="questions", verbose_name=_("category")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    token = models.CharField(
        _("status token"), max_length=64, unique=True, default=new_status_token, editable=False
    )
    fingerprint = models.CharField(max_length=64, editable=False, blank=True)
    sender_hash = models.CharField(max_length=64, editable=False, blank=True)
    spam_reason = models.CharField(_("why it was held as spam"), max_length=200, blank=True)
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        indexes = [
            models.Index(fields=["status", "-created_at"], name="qa_question_queue_idx"),
            # The admin's unfiltered queue, newest first (docs/performance.md).
            models.Index(fields=["-created_at", "-id"], name="qa_question_created_idx"),
            models.Index(fields=["fingerprint", "created_at"], name="qa_question_fingerprint_idx"),
            models.Index(fields=["category", "status"], name="qa_question_category_idx"),
        ]
        constraints = [status_check("status", QuestionStatus)]

    def __str__(self):
        return cut_at_word(self.body, 60) or f"Question {self.pk}"

    def save(self, *args, **kwargs):
        self.fingerprint = body_fingerprint(self.body)
        super().save(*args, **kwargs)

    def get_status_url(self):
        """The reader's private link: whoever holds it can see and delete the question."""
        return reverse("qa:question_status", kwargs={"token": self.token})


class ExpertQuerySet(models.QuerySet):
    def published(self):
        """
        Public profiles: panel members, and past contributors with a published answer. An
        expert invited to the panel who has not yet set a password (their login's password is
        Django's unusable one) is not a member yet: public only once they join, or once an
        answer of theirs is published.
        """
        joined = Q(user__isnull=True) | ~Q(user__password__startswith=UNUSABLE_PASSWORD_PREFIX)
        # EXISTS, not IN: looking up one profile then probes that expert's answers through
        # their index, instead of collecting the experts of every published answer (65 ms).
        return self.filter(
            (Q(is_active=True) & joined)
            | Exists(Answer.objects.published().filter(expert=OuterRef("pk")))
        )


class Expert(TimeStamped):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="expert",
        verbose_name=_("login"),
        help_text=_("Empty for an expert imported from the back catalogue."),
    )
    name = models.CharField(_("name"), max_length=120)
    company = models.CharField(_("company"), max_length=200, blank=True)
    company_url = models.URLField(_("company website"), blank=True)
    bio = models.TextField(_("bio"), blank=True)
    headshot = models.ImageField(_("headshot"), upload_to="headshots/", blank=True)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)
    is_active = models.BooleanField(
        _("on the panel"),
        default=True,
        help_text=_("An approved panel member who can be invited."),
    )
    categories = models.ManyToManyField(
        Category, blank=True, related_name="experts", verbose_name=_("categories")
    )

    objects = ExpertQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        indexes = [models.Index(fields=["is_active", "name"], name="qa_expert_panel_idx")]

    def __str__(self):
        return f"{self.name} ({self.company})" if self.company else self.name

    def get_absolute_url(self):
        return reverse("qa:expert", kwargs={"slug": self.slug})

    @property
    def company_link(self):
        """
        The company website, only if it is an http(s) address. The form checks this, but a
        row imported or edited outside it could hold ``javascript:…``; pages link this, never
        ``company_url`` itself.
        """
        from .links import safe_url

        return safe_url(self.company_url)

    @property
    def initials(self):
        return "".join(part[0] for part in self.name.split()[:2]).upper() or "?"


def _answer_count(**filters):
    answers = (
        Answer.objects.filter(column=models.OuterRef("pk"), **filters)
        .order_by()
        .values("column")
        .annotate(count=models.Count("pk"))
        .values("count")
    )
    return Coalesce(models.Subquery(answers, output_field=models.IntegerField()), 0)


class ColumnQuerySet(models.QuerySet):
    def published(self):
        """The one door into public columns: published, and its time has come."""
        return self.filter(status=Column.Status.PUBLISHED, published_at__lte=timezone.now())

    def with_answer_counts(self):
        """
        Annotate ``invited_count`` and ``answered_count`` (submitted, approved or not used).

        Counted per row by a subquery rather than a GROUP BY over every column's answers, so a
        paginated list counts only the rows it shows (145 ms to a few at 5,000 columns).
        """
        answered = [Answer.Status.SUBMITTED, Answer.Status.APPROVED, Answer.Status.REJECTED]
        return self.annotate(
            invited_count=_answer_count(),
            answered_count=_answer_count(status__in=answered),
        )


class ColumnManager(models.Manager.from_queryset(ColumnQuerySet)):
    def get_queryset(self):
        # The search document is read by the database alone; loading it would send a few
        # kilobytes per row to every list. A column saved after such a load writes only the
        # fields it loaded, so it never writes back an old document either.
        return super().get_queryset().defer("search_vector")


class ColumnStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    COLLECTING = "collecting", _("collecting answers")
    REVIEW = "review", _("in review")
    SCHEDULED = "scheduled", _("scheduled")
    PUBLISHED = "published", _("published")


class Column(TimeStamped):
    Status = ColumnStatus

    question = models.OneToOneField(
        Question, on_delete=models.PROTECT, related_name="column", verbose_name=_("question")
    )
    week = models.DateField(
        _("week"),
        null=True,
        blank=True,
        unique=True,
        help_text=_("The Monday of the column's ISO week. Empty only for back-catalogue columns."),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="columns", verbose_name=_("category")
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    dek = models.TextField(_("dek"), blank=True, help_text=_("The standfirst under the title."))
    intro = models.TextField(_("standing intro"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    answer_deadline = models.DateTimeField(_("answer deadline"), null=True, blank=True)
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    corrected_at = models.DateTimeField(_("corrected"), null=True, blank=True, editable=False)
    is_featured = models.BooleanField(_("featured"), default=False)
    source_url = models.URLField(
        _("originally published at"), max_length=500, blank=True, editable=False
    )
    editor_notes = models.TextField(
        _("editorial notes"), blank=True, help_text=_("Private to editors.")
    )
    share_image = models.ImageField(upload_to="share/", blank=True, editable=False)
    review_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Title (weight A), dek (B), the question (C) and the approved answers (D), kept by
    # ``qa.search_index`` on PostgreSQL, with a GIN index (migration 0007); NULL on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = ColumnManager()

    class Meta:
        ordering = ["-published_at", "-week", "-id"]
        base_manager_name = "objects"
        verbose_name = _("column")
        verbose_name_plural = _("columns")
        indexes = [
            # updated_at last: the lists' change stamp (newest change, count) reads the index
            # alone, never the rows, which the search document makes wide.
            models.Index(
                fields=["status", "-published_at", "updated_at"], name="qa_column_public_idx"
            ),
            models.Index(
                fields=["category", "status", "-published_at"], name="qa_column_category_idx"
            ),
            models.Index(fields=["status", "publish_at"], name="qa_column_due_idx"),
        ]
        constraints = [
            status_check("status", ColumnStatus),
            models.CheckConstraint(
                condition=~Q(status="scheduled") | Q(publish_at__isnull=False),
                name="qa_column_scheduled_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="qa_column_published_has_time",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("qa:column", kwargs={"slug": self.slug})

    @property
    def is_public(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )


class AnswerQuerySet(models.QuerySet):
    def published(self):
        """Approved answers of public columns, in the editor's order."""
        return self.filter(
            status=Answer.Status.APPROVED,
            column__in=Column.objects.published(),
        ).order_by("position", "id")


class AnswerStatus(models.TextChoices):
    INVITED = "invited", _("invited")
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    APPROVED = "approved", _("approved")
    DECLINED = "declined", _("declined by the expert")
    REJECTED = "rejected", _("not used")


class Answer(TimeStamped):
    Status = AnswerStatus

    column = models.ForeignKey(
        Column, on_delete=models.CASCADE, related_name="answers", verbose_name=_("column")
    )
    expert = models.ForeignKey(
        Expert, on_delete=models.PROTECT, related_name="answers", verbose_name=_("expert")
    )
    headline = models.CharField(_("headline"), max_length=200, blank=True)
    body = MarkdownxField(_("answer"), blank=True, help_text=_("Markdown."))
    body_html = models.TextField(editable=False, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.INVITED
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    version = models.PositiveIntegerField(default=1, editable=False)
    decline_reason = models.TextField(_("why the expert declined"), blank=True)
    editor_note = models.TextField(
        _("note to the expert"),
        blank=True,
        help_text=_("Sent with a rejection or a return to draft."),
    )
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True, editable=False)
    reminded_48h_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_24h_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = AnswerQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        indexes = [
            models.Index(fields=["column", "status", "position"], name="qa_answer_column_idx"),
            models.Index(fields=["expert", "status"], name="qa_answer_expert_idx"),
        ]
        constraints = [status_check("status", AnswerStatus)]

    def __str__(self):
        return self.headline or f"{self.expert.name} on “{self.column.title}”"

    def save(self, *args, **kwargs):
        self.body_html = render_markdown(self.body)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "body" in update_fields:
            kwargs["update_fields"] = {*update_fields, "body_html"}
        super().save(*args, **kwargs)

    @property
    def word_count(self):
        return len(self.body.split())


class Transition(models.Model):
    """One entry in the history: who did what to which column, answer or question, and when."""

    action = models.CharField(_("action"), max_length=60)
    column = models.ForeignKey(
        Column, on_delete=models.CASCADE, null=True, blank=True, related_name="transitions"
    )
    answer = models.ForeignKey(
        Answer, on_delete=models.CASCADE, null=True, blank=True, related_name="transitions"
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, null=True, blank=True, related_name="transitions"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("history entry")
        verbose_name_plural = _("history")
        indexes = [models.Index(fields=["column", "-at"], name="qa_transition_column_idx")]

    def __str__(self):
        return f"{self.action} at {self.at:%Y-%m-%d %H:%M}"


class Dispatch(models.Model):
    """
    One email, keyed so that it is sent at most once.

    Tasks can run twice (a retry, a killed worker, two publishers); the key makes the second
    run a no-op instead of a second email.
    """

    key = models.CharField(max_length=200, unique=True)
    question = models.ForeignKey(
        "Question",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dispatches",
        help_text=_("The reader's question this email is about: erasing it erases the email."),
    )
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    body = models.TextField(
        blank=True, help_text=_("Rendered once, so every retry sends the very same text.")
    )
    one_time_link = models.BooleanField(
        default=False,
        help_text=_(
            "The email holds a link that works once (a password to set, a subscription to "
            "confirm): its text is removed once it is sent."
        ),
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    sending_at = models.DateTimeField(
        _("handed over at"),
        null=True,
        blank=True,
        help_text=_(
            "Set, and committed, before the email is handed to the mail server; cleared when "
            "the outcome is recorded. Still set after the lease: the sender died mid-send, the "
            "email may have gone out, and it is never sent again (docs: SECURITY.md)."
        ),
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    retry_at = models.DateTimeField(
        _("next try"), null=True, blank=True, help_text=_("Empty once sent, or given up.")
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        indexes = [models.Index(fields=["sent_at", "retry_at"], name="qa_dispatch_retry_idx")]

    def __str__(self):
        return f"{self.subject} → {self.to}"


class StaffBrowser(models.Model):
    """
    A browser a staff account has signed in from, known by a digest of a random id kept in a
    signed cookie: a sign-in from one not seen before emails the account's owner.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="browsers"
    )
    digest = models.CharField(max_length=64)
    user_agent = models.CharField(_("browser"), max_length=200, blank=True)
    first_seen = models.DateTimeField(_("first sign-in"), default=timezone.now)
    last_seen = models.DateTimeField(_("last sign-in"), default=timezone.now)

    class Meta:
        verbose_name = _("staff browser")
        verbose_name_plural = _("staff browsers")
        constraints = [
            models.UniqueConstraint(fields=["user", "digest"], name="qa_staffbrowser_unique")
        ]

    def __str__(self):
        return f"{self.user} on {self.user_agent[:40]}"


class PageVersion(models.Model):
    """
    The page cache's record of what changed (``qa.pagecache``): one row per thing public pages
    show ("column:12", "expert:3", "topic:2", "lists", "site"), and "*" for any change at all.
    A version is a random number set anew by each change; only equality matters. Written in
    the same transaction as the change, so every process sees both at the same commit.
    """

    name = models.CharField(max_length=100, primary_key=True)
    version = models.BigIntegerField()

    def __str__(self):
        return f"{self.name}: {self.version}"


class Heartbeat(models.Model):
    """
    When a recurring piece of work last finished (``periodic``: the worker's tick, or cron's
    ``run_periodic``). The readiness view reads it; nothing else depends on it.
    """

    name = models.CharField(max_length=50, primary_key=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"


# The newsletter's models live in their own module; importing them here registers them.
from .newsletter.models import Delivery, NewsletterSend, Subscriber  # noqa: E402, F401
