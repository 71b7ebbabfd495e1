"""
Development-only data: a made-up publication at scale for load tests and query plans
(``manage.py generate_data``). Nothing in the ``qa`` app imports it; the real site never runs it.
"""
