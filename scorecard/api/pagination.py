"""Page-number pagination: 50 per page by default, ``page_size`` up to 200. A page that does not exist
(``page=0``, ``page=abc``, past the end) is a 404 with a message, never a 500."""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
