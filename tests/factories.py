import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from qa import models
from qa.roles import EDITORS, EXPERTS, add_to_group


def monday(weeks_from_now=0):
    today = timezone.localdate()
    return (
        today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(weeks=weeks_from_now)
    )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw")


class EditorFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        self.save()
        add_to_group(self, EDITORS)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Category
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class ExpertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Expert

    name = factory.Sequence(lambda n: f"Expert Number{n}")
    company = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.Sequence(lambda n: f"expert-{n}")


class ExpertUserFactory(UserFactory):
    """A staff login in Experts, with its Expert profile as ``user.expert``."""

    is_staff = True

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        self.save()
        add_to_group(self, EXPERTS)
        ExpertFactory(user=self, name=f"Expert {self.username.title()}")


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Question

    body = factory.Sequence(
        lambda n: f"Question {n}: how should I follow up after an interview that went well?"
    )
    signature = "D"
    name = "Dana Private"
    email = factory.Sequence(lambda n: f"reader{n}@private.example")
    category = factory.SubFactory(CategoryFactory)


class ColumnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Column

    question = factory.SubFactory(QuestionFactory, status=models.Question.Status.PICKED)
    category = factory.SelfAttribute("question.category")
    title = factory.Sequence(lambda n: f"Column number {n}")
    slug = factory.Sequence(lambda n: f"column-{n}")
    dek = "A standfirst."
    intro = models.STANDING_INTRO
    week = factory.Sequence(lambda n: monday(-n - 1))

    class Params:
        published = factory.Trait(
            status=models.Column.Status.PUBLISHED,
            published_at=factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=1)),
        )


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Answer

    column = factory.SubFactory(ColumnFactory)
    expert = factory.SubFactory(ExpertFactory)
    headline = factory.Sequence(lambda n: f"Headline {n}")
    body = "Send a **thank-you note** as soon as you can."
    status = models.Answer.Status.APPROVED
    position = factory.Sequence(lambda n: n)
