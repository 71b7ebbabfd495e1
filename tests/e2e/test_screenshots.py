"""Full-page screenshots of every public page, at desktop and phone widths, to look at."""

import pytest

from .test_accessibility import PAGES, open_page


@pytest.mark.parametrize("name", list(PAGES))
def test_screenshot_public_page(page, published_column, screenshot, name):
    response = open_page(page, published_column, name)

    assert response.ok, response.status
    desktop, phone = screenshot(page, name)
    assert desktop.stat().st_size > 0
    assert phone.stat().st_size > 0
