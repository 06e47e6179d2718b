"""HTML → PDF with WeasyPrint, fetching nothing but the files of templates/.

The renderer may read the stylesheet and images next to the template, and nothing else: no
network, no other file (an `<img src=file:///etc/passwd>` smuggled in through a description
is escaped text anyway, and would be refused here if it were not). WeasyPrint is imported
here only, so commands that make no PDF start fast.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlparse


class FetchRefused(ValueError):
    pass


def fetcher_within(folder: Path):
    """A URL fetcher that serves file:// URLs inside `folder` and refuses everything else."""
    from weasyprint.urls import URLFetcher

    root = folder.resolve()

    class Within(URLFetcher):
        def fetch(self, url, headers=None):
            parsed = urlparse(url)
            path = Path(unquote(parsed.path)).resolve() if parsed.scheme == "file" else None
            if path is None or not path.is_relative_to(root):
                raise FetchRefused(f"refused to fetch {url!r}: only files in {root} may be used")
            return super().fetch(url, headers)

    return Within(allowed_protocols={"file"})


def write_pdf(html: str, templates: Path, target: Path, issued_at: datetime) -> str:
    """Render `html` to `target` atomically (temp file, fsync, rename); return the PDF's sha256.

    The same document always gives the same bytes: the HTML pins the PDF's dates, and the
    embedded font subsets take their timestamp from SOURCE_DATE_EPOCH (fontTools reads it),
    set here to the issue time."""
    from weasyprint import HTML

    os.environ["SOURCE_DATE_EPOCH"] = str(int(issued_at.timestamp()))
    data = HTML(string=html, base_url=str(templates.resolve()) + os.sep,
                url_fetcher=fetcher_within(templates)).write_pdf()
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.tmp")
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, target)
    return hashlib.sha256(data).hexdigest()
