"""asyncio / uvloop TLS echo server (the loop's own SSL transport), streams or a Protocol.

    tls_asyncio_server.py --loop asyncio|uvloop --api streams|protocol [--port P]
                          [--certfile F --keyfile K]
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import sys

from _common import raise_nofile, ready, somaxconn
from tls_common import add_tls_args, server_context


class EchoProtocol(asyncio.Protocol):
    __slots__ = ("transport",)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)


async def handle_stream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def serve(host: str, port: int, api: str, ctx: ssl.SSLContext) -> None:
    backlog = somaxconn()
    server: asyncio.base_events.Server
    if api == "protocol":
        loop = asyncio.get_running_loop()
        server = await loop.create_server(EchoProtocol, host, port, backlog=backlog, ssl=ctx)
    else:
        server = await asyncio.start_server(handle_stream, host, port, backlog=backlog, ssl=ctx)
    ready(server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument("--api", choices=["streams", "protocol"], default="streams")
    add_tls_args(parser)
    args = parser.parse_args(argv)
    raise_nofile()
    coro = serve(args.host, args.port, args.api, server_context(args))
    if args.loop == "uvloop":
        import uvloop

        uvloop.run(coro)
    else:
        asyncio.run(coro)


if __name__ == "__main__":
    main(sys.argv[1:])
