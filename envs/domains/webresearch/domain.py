"""Research tasks over a generated web site, fetched with ``mcp-server-fetch``.

Each task generates a small site from the seed (a company atlas: an index, sector
pages, company profiles, long annual reports and a search page) that the domain
serves itself on a loopback HTTP server (``127.0.0.1``, a free port). The agent
sees the site as ``http://atlas.test/...``; the env rewrites that address to the
loopback server and back, so observations do not depend on the port.

The tool is the third-party ``mcp-server-fetch``'s ``fetch`` (same arguments and
answers). With ``backend="mcp"`` that server runs as it is (with
``--allow-private-ips``, since the site is on the loopback interface, and its
robots.txt check on: the site serves a robots.txt that allows everything); with
``backend="inproc"`` the page is fetched over HTTP in process and formatted the
same way. Pages are Markdown documents, which the fetch server returns as they are.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
import weakref
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from nexgym.envs.domains.kit.base import Domain, Task
from nexgym.envs.domains.kit.draws import numpy_rng
from nexgym.envs.domains.kit.tool_server import ToolServer, python_module_command
from nexgym.envs.domains.webresearch.site import SITE
from pydantic import AnyUrl, TypeAdapter, ValidationError

from nexgym.error import ToolError
from nexgym.tools import ToolCall, tool

__all__ = ["SITE", "WebResearchDomain", "WebWorld"]

#: The address the agent sees for the generated site.
MARKDOWN = "text/markdown; charset=utf-8"
#: Path prefix of the stand-ins for URLs off the site (they answer 503).
OFFLINE = "offline"
OFFLINE_STATUS = 503
#: Sites kept on the loopback server per domain instance.
KEEP_SITES = 16
FETCH_TIMEOUT = 30.0
_URL = TypeAdapter(AnyUrl)


@dataclass
class WebWorld:
    """A generated site: page path -> Markdown text, served under ``prefix``."""

    pages: dict[str, str]
    prefix: str = ""
    base: str = ""  # the loopback address, e.g. http://127.0.0.1:41234/s3
    search_index: dict[str, str] = field(default_factory=dict)  # page path -> title
    offline: dict[str, str] = field(default_factory=dict)  # loopback stand-in -> URL

    @staticmethod
    def on_site(url: str) -> bool:
        """Whether ``url`` is a page of the generated site (``http://atlas.test/...``)."""
        parts = urlsplit(url)
        return parts.scheme == "http" and parts.netloc == SITE[len("http://") :]

    def to_loopback(self, url: str) -> str:
        """The loopback address of a URL.

        A page of the site maps to the loopback server; any other URL maps to a
        loopback stand-in that answers 503, since the sandbox reaches no other host.
        """
        if self.on_site(url):
            return self.base + url[len(SITE) :]
        stand_in = f"{self.base}/{OFFLINE}/{len(self.offline)}"
        self.offline[stand_in] = url
        return stand_in

    def from_loopback(self, text: str) -> str:
        """Text with loopback addresses shown as the URLs the agent asked for."""
        for stand_in, url in sorted(self.offline.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(stand_in, url)
        return text.replace(self.base, SITE) if self.base else text


def search_page(world: WebWorld, query: str) -> str:
    """The site's search results for ``query`` (case-insensitive match on titles)."""
    words = query.lower().split()
    hits = [
        (path, title)
        for path, title in sorted(world.search_index.items())
        if words and all(w in title.lower() for w in words)
    ]
    lines = [f"# Search results for '{query}'", ""]
    lines += [f"- [{title}]({path})" for path, title in hits] or ["No pages match."]
    return "\n".join(lines) + "\n"


class _Site(ThreadingHTTPServer):
    daemon_threads = True
    worlds: dict[str, WebWorld]


class _Handler(BaseHTTPRequestHandler):
    server: _Site

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/robots.txt":
            return self._send(200, "User-agent: *\nAllow: /\n", "text/plain; charset=utf-8")
        prefix, _, rest = parts.path.lstrip("/").partition("/")
        world = self.server.worlds.get(prefix)
        page = f"/{rest}"
        if world is None:
            return self._send(404, "# Not found\n", MARKDOWN)
        if page.startswith(f"/{OFFLINE}/"):
            return self._send(OFFLINE_STATUS, "# No network in this sandbox\n", MARKDOWN)
        if page == "/search":
            query = parse_qs(parts.query).get("q", [""])[0]
            return self._send(200, search_page(world, query), MARKDOWN)
        if page in world.pages:
            return self._send(200, world.pages[page], MARKDOWN)
        return self._send(404, "# Not found\n", MARKDOWN)

    def _send(self, status: int, text: str, content_type: str) -> None:
        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: no stderr per request
        return


def _fetch_text(url: str) -> tuple[int, str, str]:
    """``(status, content type, text)`` of a GET on the loopback site."""
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:
            body = response.read().decode("utf-8", errors="replace")
            return response.status, response.headers.get("Content-Type", ""), body
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), ""


@tool
def fetch(
    world: WebWorld, url: str, max_length: int = 5000, start_index: int = 0, raw: bool = False
) -> str:
    """Fetches a URL and returns its contents (HTML is simplified to Markdown).

    Args:
        url: URL to fetch, e.g. "http://atlas.test/index.md".
        max_length: Maximum number of characters to return.
        start_index: Return output starting at this character index, useful if a previous
            fetch was truncated and more context is required.
        raw: Get the actual HTML content of the requested page, without simplification.
    """
    try:
        url = str(_URL.validate_python(url))  # normalized as the server's AnyUrl does it
    except ValidationError:
        raise ToolError(
            f"Error executing tool fetch: Input should be a valid URL, got {url!r}"
        ) from None
    if not 1 <= max_length <= 999_999 or start_index < 0:
        raise ToolError(
            "Error executing tool fetch: expected 1 <= max_length <= 999999 and start_index >= 0"
        )
    if not world.on_site(url):  # the sandbox reaches no other host
        raise ToolError(
            f"Error executing tool fetch: Failed to fetch {url} - status code {OFFLINE_STATUS}"
        )
    status, content_type, page = _fetch_text(world.to_loopback(url))
    if status >= 400:
        raise ToolError(f"Error executing tool fetch: Failed to fetch {url} - status code {status}")
    is_html = "<html" in page[:100] or "text/html" in content_type or not content_type
    if is_html and not raw:
        from nexgym.error import require

        server = require("mcp_server_fetch.server", "mcp", "the webresearch domain")
        content, prefix = server.extract_content_from_html(page), ""
    else:
        prefix = (
            f"Content type {content_type} cannot be simplified to markdown, "
            "but here is the raw content:\n"
        )
        content = page
    # Pagination exactly as mcp-server-fetch does it.
    if start_index >= len(content):
        content = "<error>No more content available.</error>"
    else:
        original = len(content)
        content = content[start_index : start_index + max_length]
        remaining = original - (start_index + len(content))
        if len(content) == max_length and remaining > 0:
            content += (
                "\n\n<error>Content truncated. Call the fetch tool with a start_index of "
                f"{start_index + len(content)} to get more content.</error>"
            )
    return f"{prefix}Contents of {url}:\n{content}"


class WebResearchDomain(Domain):
    """Look facts up on a generated site with ``mcp-server-fetch``."""

    name = "webresearch"
    description = (
        "A web fetch tool and a company atlas site at http://atlas.test: an index, "
        "sector pages, company profiles, annual reports and a search page (/search?q=...)."
    )
    tools = (fetch,)
    difficulties: ClassVar[tuple[int, ...]] = (1, 2, 3)
    rng = staticmethod(numpy_rng)

    def __init__(self) -> None:
        super().__init__()
        self._server: _Site | None = None
        self._stop: weakref.finalize | None = None
        self._count = 0

    @property
    def site(self) -> _Site:
        """The loopback HTTP server (started on first use, stopped by :meth:`close`)."""
        if self._server is None:
            server = _Site(("127.0.0.1", 0), _Handler)
            server.worlds = {}
            thread = threading.Thread(target=server.serve_forever, name="nexgym-web", daemon=True)
            thread.start()
            self._server = server
            self._stop = weakref.finalize(self, _shutdown, server)
        return self._server

    def publish(self, pages: dict[str, str], titles: dict[str, str]) -> WebWorld:
        """Serve a site's pages under a fresh prefix; the oldest sites are dropped."""
        self._count += 1
        prefix = f"s{self._count}"
        host, port = self.site.server_address[:2]
        world = WebWorld(pages, prefix, f"http://{host!s}:{port}/{prefix}", titles)
        self.site.worlds[prefix] = world
        for old in list(self.site.worlds)[:-KEEP_SITES]:
            del self.site.worlds[old]
        return world

    def generate_task(self, seed: int, difficulty: int = 1) -> Task:
        """Generate the seed's site, serve it, and draw ``difficulty`` questions on it."""
        from nexgym.envs.domains.webresearch.site import generate

        self.check_difficulty(difficulty)
        return generate(self, seed, difficulty)

    def copy_world(self, world: WebWorld) -> WebWorld:
        """Sites are read-only: parallel agents share one."""
        return world

    def tool_server(self) -> ToolServer:
        """``mcp-server-fetch`` from PyPI, run as it is."""
        command, args = python_module_command("mcp_server_fetch", "--allow-private-ips")

        def to_server(call: ToolCall, world: WebWorld) -> ToolCall:
            url = call.arguments.get("url")
            if not isinstance(url, str):
                return call
            try:
                url = str(_URL.validate_python(url))
            except ValidationError:
                return call  # the server rejects it without fetching anything
            return ToolCall(call.name, {**call.arguments, "url": world.to_loopback(url)})

        def from_server(text: str, world: WebWorld) -> str:
            return world.from_loopback(text)

        # No proxy: the site is on the loopback interface.
        env = {"NO_PROXY": "*", "no_proxy": "*"}
        return ToolServer("mcp-server-fetch", command, args, env, to_server, from_server)

    def close(self) -> None:
        """Stop the loopback server."""
        if self._stop is not None:
            self._stop()
        self._server = None


def _shutdown(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()
