"""
The newsletter: each published column sent by email to the readers who asked for it.

``models`` holds the subscriber and the per-(column, subscriber) delivery record; ``services``
the subscriber's transitions (request, confirm, change topics, unsubscribe, erase, suppress);
``sending`` the worker's send; ``render`` the email itself; ``views`` the reader's pages.
"""
