"""
The admin's front page: an expert lands on "Your invitations"; an editor sees the calendar,
the panel and any scheduled column that failed to publish.
"""

from django.contrib import admin

admin.site.index_template = "admin/qa/index.html"
