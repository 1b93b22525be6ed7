"""The Bot API HTTP client: python-telegram-bot's `BaseRequest` on aiohttp.

PTB's default client is httpx. Its connection pool (httpcore) looks at every connection and every
waiting request each time a request starts or ends, so under a few hundred requests in flight
(which Telegram's round trip of a few hundred milliseconds produces at 100 updates per second)
the bot spent a third of its CPU there, and fell behind (docs/PERFORMANCE.md). aiohttp, already
a dependency, keeps idle connections in a plain list.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """Keep-alive connections to the Bot API server, at most `connection_pool_size` at once."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 128,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        write = self._write_timeout if isinstance(write_timeout, DefaultValue) else write_timeout
        if files and isinstance(write_timeout, DefaultValue):
            write = self._media_write_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        # aiohttp has no separate write timeout: the socket read timeout covers the answer, and
        # the whole request may take the write and the read time together.
        total = None if read is None or write is None else read + write + (pool or 0)
        timeout = aiohttp.ClientTimeout(
            total=total, sock_connect=connect, sock_read=read, connect=pool
        )
        body: Any = None
        headers: dict[str, str] | None = None
        if files:
            form = aiohttp.FormData()
            for name, value in (fields or {}).items():
                form.add_field(name, value)
            for name, (filename, content, mime_type) in files.items():
                form.add_field(name, content, filename=filename, content_type=mime_type)
            body = form
        elif fields:
            # One JSON body with its values typed (Telegram takes application/json): far cheaper
            # to build than the urlencoded form of JSON-encoded strings aiohttp made of them.
            assert request_data is not None
            body = json.dumps(request_data.parameters, ensure_ascii=False).encode()
            headers = _JSON
        try:
            async with self._session.request(
                method, url, data=body, timeout=timeout, headers=headers
            ) as res:
                return res.status, await res.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
