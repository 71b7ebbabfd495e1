"""``<time datetime>`` values: HTML allows at most three digits of a second's fraction."""

import datetime
import zoneinfo

from django.template import Context, Template
from django.test import override_settings

from qa.templatetags.panel import machine_time


@override_settings(TIME_ZONE="America/New_York")
def test_a_stored_timestamp_is_written_to_the_second_in_the_sites_zone():
    moment = datetime.datetime(2026, 12, 1, 11, 7, 43, 951189, tzinfo=datetime.UTC)
    assert machine_time(moment) == "2026-12-01T06:07:43-05:00"


def test_a_naive_time_and_nothing():
    assert machine_time(datetime.datetime(2026, 1, 2, 3, 4, 5, 6)) == "2026-01-02T03:04:05"
    assert machine_time(None) == ""


def test_in_a_template():
    moment = datetime.datetime(2026, 6, 1, 12, 0, 0, 123456, tzinfo=zoneinfo.ZoneInfo("UTC"))
    html = Template("{% load panel %}{{ when|machine_time }}").render(Context({"when": moment}))
    assert ".123456" not in html and html.startswith("2026-06-01T")
