"""
One week's column, from the editor's pick to publication and later corrections.

Each function locks the rows it changes, records the change in the history and queues its
emails for after the commit. Email keys name the event, not the attempt, so a repeated or
concurrent call sends nothing twice.
"""

import dataclasses
import datetime
import logging
import re

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from ..emails import absolute_url, email_enqueue
from ..models import Answer, Column, Expert, Publication, Question, cut_at_word
from ..pagecache import pages_changed
from ..selectors import week_of
from .errors import TransitionNotAllowed
from .history import transition_record

PICKABLE = {Question.Status.NEW, Question.Status.SHORTLISTED}
INVITABLE = {Column.Status.DRAFT, Column.Status.COLLECTING, Column.Status.REVIEW}
SCHEDULABLE = {Column.Status.COLLECTING, Column.Status.REVIEW, Column.Status.SCHEDULED}
# An answer still owed by its expert.
OPEN_ANSWERS = {Answer.Status.INVITED, Answer.Status.DRAFT}

logger = logging.getLogger(__name__)


# A proposed title is at most this long, in whole words.
TITLE_PROPOSAL_CHARS = 120
_SENTENCE_END = re.compile(r"(?<=[?!.])\s+")


def title_proposal(body):
    """
    A title proposed from a reader's letter, in whole words, never cut: the letter's question
    (its last sentence ending in "?") when it is short enough, else its first sentence, else
    as many whole words of it as fit.
    """
    text = " ".join(body.split())
    sentences = [s for s in _SENTENCE_END.split(text) if s]
    questions = [s for s in sentences if s.endswith("?")]
    for candidate in [*reversed(questions), *sentences[:1]]:
        if len(candidate) <= TITLE_PROPOSAL_CHARS:
            return candidate
    return cut_at_word(text, TITLE_PROPOSAL_CHARS).removesuffix("…")


def question_status_url(question):
    """The reader's private status link, which every email to the reader carries."""
    return absolute_url(question.get_status_url())


def _unique_slug(title, week):
    base = slugify(title)[:180] or "column"
    if week is not None:
        base = f"{base}-{week:%Y-%m-%d}"
    slug, n = base, 2
    while Column.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _week_taken_error(column):
    return TransitionNotAllowed(
        f"The week of {column.week:%B %-d, %Y} already has a column: “{column.title}”.",
        field="week",
    )


def deadline_default(column, *, now=None):
    """
    The answer deadline the invitation form proposes: the publication's set number of days
    before the column's publication day, at its time of day, in the publication's time zone.
    When that has passed (or the column has no week), the same time of day a day from now.
    """
    now = now or timezone.now()
    publication = Publication.current()
    at = publication.answer_deadline_time
    if column.week is not None:
        day = column.week + datetime.timedelta(
            days=publication.publish_weekday - publication.answer_deadline_days
        )
        deadline = timezone.make_aware(datetime.datetime.combine(day, at))
        if deadline > now:
            return deadline
    day = timezone.localdate(now) + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, at))


def column_pick(*, question, week, by, title=None, category=None):
    """
    Pick ``question`` for the week containing ``week``: a draft column with the question's
    category (corrected to ``category`` when given), a proposed title and the publication's
    standing intro. The reader is emailed.
    """
    week = week_of(week)
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=question.pk)
        if question.status not in PICKABLE:
            raise TransitionNotAllowed(
                f"This question is {question.get_status_display()}; only new or shortlisted "
                "questions can be picked.",
                field="question",
            )
        existing = Column.objects.filter(week=week).first()
        if existing is not None:
            raise _week_taken_error(existing)
        title = (title or "").strip() or title_proposal(question.body)
        category_note = ""
        if category is not None and category.pk != question.category_id:
            category_note = f"; topic corrected from {question.category} to {category}"
            question.category = category
        try:
            # The unique week is the lock: a second editor's insert waits for the first
            # transaction and then fails here, inside its own savepoint.
            with transaction.atomic():
                column = Column.objects.create(
                    question=question,
                    week=week,
                    category=question.category,
                    title=title[:200],
                    slug=_unique_slug(title, week),
                    intro=Publication.current().standing_intro,
                    status=Column.Status.DRAFT,
                )
        except IntegrityError:
            existing = Column.objects.filter(week=week).first()
            if existing is not None:
                raise _week_taken_error(existing) from None
            raise TransitionNotAllowed(
                "This question already has a column.", field="question"
            ) from None
        from_status = question.status
        question.status = Question.Status.PICKED
        question.save(update_fields=["status", "category", "updated_at"])
        transition_record(
            action="column_pick",
            by=by,
            column=column,
            question=question,
            from_status=from_status,
            to_status=Question.Status.PICKED,
            note=f"week of {week:%B %-d, %Y}{category_note}",
        )
        email_enqueue(
            key=f"question-picked:{question.pk}",
            question=question,
            to=question.email,
            subject="Your question was picked for our expert panel",
            template="question_picked",
            context={
                "name": question.name,
                "signature": question.signature,
                "question": question.body,
                "week": f"{week:%B %-d, %Y}",
                "status_url": question_status_url(question),
            },
        )
    return column


def _locked(column):
    return Column.objects.select_for_update().get(pk=column.pk)


def column_invite(*, column, experts, deadline, by):
    """
    Invite ``experts`` to answer by ``deadline``: one ``invited`` answer each, and an email with
    the question, the deadline and a link to the answer in the admin.
    """
    experts = list(experts)
    if not experts:
        raise TransitionNotAllowed("Choose at least one expert to invite.", field="experts")
    if deadline is None or deadline <= timezone.now():
        raise TransitionNotAllowed("The answer deadline must be in the future.", field="deadline")
    with transaction.atomic():
        column = _locked(column)
        if column.status not in INVITABLE:
            raise TransitionNotAllowed(
                f"This column is {column.get_status_display()}; experts can no longer be invited."
            )
        already = list(
            column.answers.filter(expert__in=experts).select_related("expert").order_by("id")
        )
        if already:
            names = ", ".join(answer.expert.name for answer in already)
            raise TransitionNotAllowed(f"Already invited: {names}.", field="experts")
        refusals = [r for r in map(invitation_refusal, experts) if r]
        if refusals:
            raise TransitionNotAllowed(" ".join(refusals), field="experts")
        now = timezone.now()
        from_status = column.status
        column.answer_deadline = deadline
        if column.status in {Column.Status.DRAFT, Column.Status.REVIEW}:
            column.status = Column.Status.COLLECTING
        column.save(update_fields=["answer_deadline", "status", "updated_at"])
        start = column.answers.count()
        answers = []
        for offset, expert in enumerate(experts):
            answer = Answer.objects.create(
                column=column,
                expert=expert,
                status=Answer.Status.INVITED,
                position=start + offset,
                invited_at=now,
            )
            answers.append(answer)
            transition_record(
                action="answer_invite",
                by=by,
                column=column,
                answer=answer,
                to_status=Answer.Status.INVITED,
            )
            email_enqueue(
                key=f"invitation:{answer.pk}",
                to=expert.user.email,
                subject=f"Will you answer this week’s question? Due {_when(deadline)}",
                template="invitation",
                context=answer_email_context(answer),
            )
        if from_status != column.status:
            transition_record(
                action="column_invite",
                by=by,
                column=column,
                from_status=from_status,
                to_status=column.status,
                note=f"{len(answers)} invited, due {_when(deadline)}",
            )
    return answers


def invitation_refusal(expert):
    """
    Why ``expert`` cannot be invited to answer, as a message for the editor, or None when the
    invitation can reach them: an active panel member whose login is active and has an email.
    """
    user = expert.user
    if user is None:
        return (
            f"{expert.name} is a byline, with no login: they could not receive the invitation "
            "or write an answer. Add their email on their panel record and invite them to the "
            "panel first."
        )
    if not expert.is_active or not user.is_active:
        return f"{expert.name} is not active on the panel; reactivate them first."
    if not user.email:
        return f"{expert.name} has no email address, so no invitation could reach them."
    if not user.has_usable_password():
        return (
            f"{expert.name} has not joined the panel yet (no password set), so they could not "
            "open their answer. Send their invitation to the panel again."
        )
    return None


def experts_invitable():
    """The experts an invitation can reach (the rule of ``invitation_refusal``), by name."""
    return (
        Expert.objects.filter(is_active=True, user__isnull=False, user__is_active=True)
        .exclude(user__email="")
        .exclude(user__password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .select_related("user")
        .order_by("name")
    )


def _when(moment):
    return f"{timezone.localtime(moment):%A %B %-d, %-I:%M %p} ({settings.TIME_ZONE})"


def answer_email_context(answer):
    column, question = answer.column, answer.column.question
    return {
        "expert": answer.expert.name,
        "title": column.title,
        "question": question.body,
        "signature": question.signature,
        "deadline": _when(column.answer_deadline) if column.answer_deadline else "",
        "answer_id": answer.pk,  # the template links to the answer's page
    }


def column_review_start(*, column, by=None, reason=""):
    """
    Close the invitations and move the column to review, emailing the editors one summary.
    A column already past collecting is left as it is.
    """
    with transaction.atomic():
        column = _locked(column)
        if column.status != Column.Status.COLLECTING:
            return column
        column.status = Column.Status.REVIEW
        column.review_started_at = timezone.now()
        column.save(update_fields=["status", "review_started_at", "updated_at"])
        transition_record(
            action="column_review_start",
            by=by,
            column=column,
            from_status=Column.Status.COLLECTING,
            to_status=Column.Status.REVIEW,
            note=reason,
        )
        answers = list(column.answers.select_related("expert").order_by("position", "id"))
        email_enqueue(
            key=f"review-summary:{column.pk}",
            to=settings.EDITOR_EMAIL,
            subject=f"Ready for review: {column.title}",
            template="review_summary",
            context={
                "title": column.title,
                "reason": reason,
                "answers": [
                    {"expert": a.expert.name, "status": a.get_status_display()} for a in answers
                ],
                "column_id": column.pk,  # the template links to the column's page
            },
        )
    return column


def column_answers_settled(column):
    """True when no invited expert still owes an answer."""
    return column.answers.exists() and not column.answers.filter(status__in=OPEN_ANSWERS).exists()


def columns_review_due(*, now=None):
    """Move to review every collecting column whose deadline passed or whose panel is done."""
    now = now or timezone.now()
    moved = []
    for column in Column.objects.filter(status=Column.Status.COLLECTING).order_by("id"):
        if column.answer_deadline is not None and column.answer_deadline <= now:
            reason = "The answer deadline passed."
        elif column_answers_settled(column):
            reason = "Every invited expert has answered or declined."
        else:
            continue
        with transaction.atomic():
            locked = Column.objects.select_for_update(skip_locked=True).filter(pk=column.pk).first()
            if locked is None:
                continue
            if column_review_start(column=locked, reason=reason).status == Column.Status.REVIEW:
                moved.append(locked)
    return moved


def column_publish_problems(column):
    """What stops ``column`` from being published, as a list of messages."""
    problems = []
    if not column.title.strip():
        problems.append("It needs a title.")
    if not column.answers.filter(status=Answer.Status.APPROVED).exists():
        problems.append("It needs at least one approved answer.")
    return problems


def _require_publishable(column):
    problems = column_publish_problems(column)
    if problems:
        raise TransitionNotAllowed("Cannot publish yet. " + " ".join(problems))


def column_schedule(*, column, publish_at, by):
    """Schedule the column for ``publish_at``; the periodic task publishes it then."""
    if publish_at is None:
        raise TransitionNotAllowed("Choose a date and time to publish.", field="publish_at")
    if publish_at <= timezone.now():
        raise TransitionNotAllowed(
            "That time has passed; choose a later one, or publish now.", field="publish_at"
        )
    with transaction.atomic():
        column = _locked(column)
        if column.status not in SCHEDULABLE:
            raise TransitionNotAllowed(
                f"This column is {column.get_status_display()}; it cannot be scheduled."
            )
        _require_publishable(column)
        from_status = column.status
        column.status = Column.Status.SCHEDULED
        column.publish_at = publish_at
        column.save(update_fields=["status", "publish_at", "updated_at"])
        transition_record(
            action="column_schedule",
            by=by,
            column=column,
            from_status=from_status,
            to_status=Column.Status.SCHEDULED,
            note=f"for {_when(publish_at)}",
        )
    return column


def column_unschedule(*, column, by):
    """Take a scheduled column back to review."""
    with transaction.atomic():
        column = _locked(column)
        if column.status != Column.Status.SCHEDULED:
            raise TransitionNotAllowed("This column is not scheduled.")
        column.status = Column.Status.REVIEW
        column.publish_at = None
        column.save(update_fields=["status", "publish_at", "updated_at"])
        transition_record(
            action="column_unschedule",
            by=by,
            column=column,
            from_status=Column.Status.SCHEDULED,
            to_status=Column.Status.REVIEW,
        )
    return column


def column_publish(*, column, by):
    """
    Publish the column now. Idempotent: publishing a published column changes nothing and
    sends nothing; concurrent calls wait on the row lock and the second finds it published.
    A column published again after ``column_unpublish`` sends no email: its reader and its
    experts were told the first time.
    """
    with transaction.atomic():
        column = _locked(column)
        if column.status == Column.Status.PUBLISHED:
            return column
        if column.status not in SCHEDULABLE:
            raise TransitionNotAllowed(
                f"This column is {column.get_status_display()}; collect answers first."
            )
        _require_publishable(column)
        republished = column_was_published(column)
        emails = column_publication_emails(column)
        from_status = column.status
        column.status = Column.Status.PUBLISHED
        column.published_at = timezone.now()
        column.save(update_fields=["status", "published_at", "updated_at"])
        transition_record(
            action="column_publish",
            by=by,
            column=column,
            from_status=from_status,
            to_status=Column.Status.PUBLISHED,
            note=_republished_note(column) if republished else "",
        )
        pages_changed(column=column, listed=True)
        for email in emails:
            email_enqueue(**email.enqueue_arguments())
        share_image_enqueue(column)
        _newsletter_send(column)
    return column


def _newsletter_send(column):
    """
    The column to its subscribers: a job for the worker, started once the publish commits.
    Published again, it only resumes a send that unpublishing stopped (nobody gets it twice).
    """
    from ..newsletter.tasks import newsletter_send_start

    transaction.on_commit(lambda: newsletter_send_start.enqueue(column_id=column.pk))


def _republished_note(column):
    from ..newsletter.models import NewsletterSend

    if NewsletterSend.objects.filter(column=column, status=NewsletterSend.Status.STOPPED).exists():
        return "published again: only the newsletter's emails that unpublishing stopped go out"
    return "published again: nobody emailed"


def _newsletter_stop(column):
    """Unpublished: the newsletter's emails not yet handed over are not sent."""
    from ..newsletter.sending import send_stop

    send = getattr(column, "newsletter_send", None) if column.pk else None
    if send is not None:
        send_stop(send)


def column_unpublish(*, column, by, reason=""):
    """
    Take a published column back to review: its page answers 404 and it leaves the lists,
    the feeds and the sitemap until it is published again. Nobody is emailed, now or at the
    next publication.
    """
    with transaction.atomic():
        column = _locked(column)
        if column.status != Column.Status.PUBLISHED:
            raise TransitionNotAllowed(
                f"This column is {column.get_status_display()}; only a published column can "
                "be unpublished."
            )
        column.status = Column.Status.REVIEW
        column.publish_at = None
        column.save(update_fields=["status", "publish_at", "updated_at"])
        transition_record(
            action="column_unpublish",
            by=by,
            column=column,
            from_status=Column.Status.PUBLISHED,
            to_status=Column.Status.REVIEW,
            note=reason.strip()[:2000],
        )
        pages_changed(column=column, listed=True)
        _newsletter_stop(column)
    return column


def column_was_published(column):
    """True when ``column`` has been published before, so its emails went out then."""
    return column.transitions.filter(action="column_publish").exists()


def share_image_enqueue(column):
    """Draw the share image in the background: pages only link it, under its digest's name."""
    from ..tasks import share_image_refresh

    transaction.on_commit(lambda: share_image_refresh.enqueue(column_id=column.pk))


def expert_profile_changed(expert):
    """
    An expert's public profile (name, company, bio, headshot, panel membership) was saved: their
    pages change, and the share images of their published columns are drawn again.
    """
    pages_changed(expert=expert)
    for column in Column.objects.published().filter(
        answers__expert=expert, answers__status=Answer.Status.APPROVED
    ):
        share_image_enqueue(column)


@dataclasses.dataclass(frozen=True)
class OutgoingEmail:
    """
    One email that a transition will send: who gets it and why, in the editor's words
    (``recipient``, ``reason``), and what ``email_enqueue`` needs to send it.
    """

    recipient: str
    reason: str
    to: str
    subject: str
    key: str
    template: str
    context: dict = dataclasses.field(default_factory=dict)
    # The reader's question, for an email to its reader: erasing the question erases it.
    question: object = None

    def enqueue_arguments(self):
        return {
            "key": self.key,
            "to": self.to,
            "subject": self.subject,
            "template": self.template,
            "context": self.context,
            "question": self.question,
        }


def column_publication_emails(column):
    """
    The emails that publishing ``column`` sends, in order: the reader, then each invited
    expert with a login, in the column's order. ``column_publish`` sends exactly this list and
    the confirmation page shows it. A column published before sends none.
    """
    if column_was_published(column):
        return []
    permalink = absolute_url(column.get_absolute_url())
    question = column.question
    emails = []
    if question.email:
        emails.append(
            OutgoingEmail(
                recipient=reader_label(question),
                reason="the reader who asked",
                to=question.email,
                key=f"column-published:{column.pk}:reader",
                question=question,
                subject=f"You’re published: {column.title}",
                template="published_reader",
                context={
                    "name": question.name,
                    "title": column.title,
                    "permalink": permalink,
                    "status_url": question_status_url(question),
                },
            )
        )
    for answer in column.answers.select_related("expert__user").order_by("position", "id"):
        user = answer.expert.user
        if user is None or not user.email:
            continue
        if answer.status == Answer.Status.APPROVED:
            key, subject, template, reason = (
                f"column-published:{column.pk}:expert:{answer.expert_id}",
                f"You’re published: {column.title}",
                "published_expert",
                "their answer is published",
            )
        elif answer.status in {Answer.Status.SUBMITTED, Answer.Status.REJECTED}:
            key, subject, template, reason = (
                f"column-thanks:{column.pk}:expert:{answer.expert_id}",
                f"Thank you for answering: {column.title}",
                "thanks_expert",
                "thanked: they answered, and the answer is not published",
            )
        elif answer.status in OPEN_ANSWERS:
            key, subject, template, reason = (
                f"column-closed:{column.pk}:expert:{answer.expert_id}",
                f"Invitation closed: {column.title}",
                "invitation_closed",
                "dropped: their invitation closes unanswered",
            )
        else:
            continue
        emails.append(
            OutgoingEmail(
                recipient=answer.expert.name,
                reason=reason,
                to=user.email,
                key=key,
                subject=subject,
                template=template,
                context={
                    "expert": answer.expert.name,
                    "title": column.title,
                    "permalink": permalink,
                },
            )
        )
    return emails


def reader_label(question):
    """The reader as the editors name them: their name, else their signature."""
    if question.name:
        return question.name
    if question.signature:
        return f"the reader signed “{question.signature}”"
    return "the reader"


def columns_publish_due(*, now=None):
    """
    Publish every scheduled column whose time has come. Rows another worker holds are
    skipped, so any number of workers can run this at once.
    """
    now = now or timezone.now()
    published = []
    due = Column.objects.filter(status=Column.Status.SCHEDULED, publish_at__lte=now)
    for pk in due.order_by("publish_at").values_list("pk", flat=True):
        with transaction.atomic():
            column = (
                Column.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=Column.Status.SCHEDULED)
                .first()
            )
            if column is None:
                continue
            try:
                published.append(column_publish(column=column, by=None))
            except TransitionNotAllowed as error:
                # An answer was withdrawn after scheduling: the column stays scheduled, and
                # the overdue alert tells the editor (a history entry every minute would not).
                logger.warning("Column %s was due but not published: %s", column.pk, error)
    return published


CORRECTABLE_FIELDS = ["title", "dek", "intro", "is_featured"]


def column_correct(*, column, changes, by, note=""):
    """
    Correct a published column. ``changes`` maps field names to new values; the history
    keeps what each was, and the page shows "Updated".
    """
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise TransitionNotAllowed(f"These cannot be corrected here: {', '.join(sorted(unknown))}.")
    if "title" in changes and not str(changes["title"]).strip():
        raise TransitionNotAllowed("A published column needs a title.", field="title")
    with transaction.atomic():
        column = _locked(column)
        if column.status != Column.Status.PUBLISHED:
            raise TransitionNotAllowed("Only a published column is corrected; edit it instead.")
        recorded = {}
        for field, value in changes.items():
            old = getattr(column, field)
            if old != value:
                recorded[field] = [old, value]
                setattr(column, field, value)
        if not recorded:
            return column
        column.corrected_at = timezone.now()
        column.save(update_fields=[*recorded, "corrected_at", "updated_at"])
        transition_record(
            action="column_correct", by=by, column=column, note=note, changes=recorded
        )
        # Featured or no longer: the home page's featured columns change.
        pages_changed(column=column, listed="is_featured" in recorded)
        share_image_enqueue(column)
    return column
