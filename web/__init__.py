"""vidx.web: the HTTP front end of `vidx serve` and the result page of `vidx query --html`.

A client of `vidx.Library`, as the CLI is: it asks the Library for hits, thumbnails and files, never the store.
"""

from .html_file import html_page, write_html_page

__all__ = ["html_page", "write_html_page"]
