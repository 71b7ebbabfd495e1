"""
A column made the way the product makes one: a reader's question through ``question_submit``,
then pick, invite, write, submit, approve and publish through the services, with real
timestamps (microseconds included). Tests of what public pages, feeds and structured data
show use this, not only factory rows.
"""

import datetime
import io
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from qa.images import headshot_reencode
from qa.models import Expert, Question
from qa.selectors import week_next_free
from qa.services import (
    answer_approve,
    answer_save_draft,
    answer_submit,
    column_invite,
    column_pick,
    column_publish,
    question_submit,
)

from .factories import CategoryFactory, ExpertUserFactory


def jpeg_upload(name="face.jpg", size=(400, 400), colour=(180, 90, 60)):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@dataclass
class Published:
    column: object
    question: object
    experts: list
    answers: list


def publish_through_services(editor, *, title="Should I follow up over Facebook?", slug="job"):
    """A published column with two approved answers by experts with full profiles."""
    category = CategoryFactory(name="Job Interviews", slug=f"{slug}-interviews")
    question, _created = question_submit(
        body="I had a great interview last week. Should I follow up with the interviewer on "
        "Facebook, or is that too much?",
        category=category,
        signature="D",
        name="Dana Reader",
        email="dana@example.com",
    )
    question = Question.objects.get(pk=question.pk)
    debra_user = ExpertUserFactory(username=f"{slug}-debra")
    don_user = ExpertUserFactory(username=f"{slug}-don")
    Expert.objects.filter(pk=debra_user.expert.pk).update(
        name="Debra Wheatman",
        company="Careers Done Write",
        company_url="https://careersdonewrite.example/",
        bio="Debra writes résumés & coaches job seekers.",
    )
    debra = Expert.objects.get(pk=debra_user.expert.pk)
    debra.headshot = headshot_reencode(jpeg_upload())
    debra.save()
    Expert.objects.filter(pk=don_user.expert.pk).update(
        name="Don Goodman", company="", bio="Don runs a career practice."
    )
    don = Expert.objects.get(pk=don_user.expert.pk)

    column = column_pick(question=question, week=week_next_free(), by=editor)
    column.title = title
    column.dek = "After an interview it's important to reach out. But is Facebook a smart move?"
    column.save(update_fields=["title", "dek"])
    answers = column_invite(
        column=column,
        experts=[debra, don],
        deadline=timezone.now() + datetime.timedelta(days=3),
        by=editor,
    )
    done = []
    for answer, user, headline, body in (
        (answers[0], debra_user, "Send a thank-you note ASAP", "Send a **note** the same day."),
        (answers[1], don_user, "Keep Facebook personal", "Use [LinkedIn](https://linkedin.com/)."),
    ):
        answer = answer_save_draft(
            answer=answer, headline=headline, body=body, version=answer.version, by=user
        )
        answer = answer_submit(
            answer=answer, headline=headline, body=body, version=answer.version, by=user
        )
        done.append(answer_approve(answer=answer, by=editor))
    column = column_publish(column=column, by=editor)
    column.refresh_from_db()
    return Published(column=column, question=question, experts=[debra, don], answers=done)
