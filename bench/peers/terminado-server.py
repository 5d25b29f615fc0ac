"""The terminado peer: Jupyter's terminal server, one PTY per websocket connection.

    python3 terminado-server.py COMMAND [ARGS...]

Serves ws://127.0.0.1:PORT/websocket on a free port and prints "listening on PORT".
"""
import asyncio
import signal
import sys

import tornado.httpserver
import tornado.netutil
import tornado.web
from terminado import TermSocket, UniqueTermManager


async def main(argv):
    manager = UniqueTermManager(shell_command=argv)
    app = tornado.web.Application([(r"/websocket", TermSocket, {"term_manager": manager})])
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    tornado.httpserver.HTTPServer(app).add_sockets(sockets)
    print(f"listening on {sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await manager.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:] or ["bash"]))
