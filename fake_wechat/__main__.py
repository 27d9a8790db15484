"""`python -m fake_wechat --host 127.0.0.1 --port 8001`: serve the fake for `make run`."""
from __future__ import annotations

import argparse

from werkzeug.serving import make_server

from fake_wechat.app import create_fake_app


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m fake_wechat", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port, create_fake_app(), threaded=True)
    base_url = f"http://{args.host}:{args.port}/"
    print(f"Fake WeChat on {base_url} (WeCom under {base_url}wecom/, controls under /_fake/)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
