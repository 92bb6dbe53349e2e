"""Standalone emulator: `python -m sandbox --port 8081 --callback URL --app-secret SECRET`."""
from __future__ import annotations

import argparse
import logging
import sys

from werkzeug.serving import make_server

from sandbox.app import create_emulator_app
from sandbox.settings import EmulatorSettings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    add("--port", type=int, default=8081, help="port to listen on (0 picks a free one)")
    add("--callback", default=None, help="webhook callback URL (omit for no webhooks)")
    add("--app-secret", default="sandbox-app-secret", help="secret that signs webhooks")
    add("--access-token", default=None, help="the only bearer token accepted (default: any)")
    add("--webhook-delay", type=float, default=0.2, help="seconds between sent, delivered and read")
    add("--batch-size", type=int, default=1, help="max updates per webhook POST")
    add("--batch-window", type=float, default=0.05, help="seconds to gather a batch when batching")
    add("--duplicate-rate", type=float, default=0.0, help="probability a webhook POST is sent twice")
    add("--shuffle", action="store_true", help="shuffle due updates before batching")
    add("--seed", type=int, default=None, help="seed for shuffling and duplicates")
    add("--mps", type=int, default=80, help="sends per second per phone number (0 disables)")
    add("--no-pair-rate", action="store_true", help="disable the per-recipient pair rate limit")
    add("--latency", type=float, default=0.0, help="seconds added to every Graph answer")
    add("--media-url-ttl", type=float, default=300.0, help="seconds a media download URL stays valid")
    add("--media-dir", default=None, help="where uploaded media is stored (default: a temp dir)")
    add("--public-url", default=None, help="base URL for media download links")
    add("--waba-id", default="100000000000000", help="WhatsApp Business Account id")
    add("--slow-seconds", type=float, default=3.0, help="delay for the slow reserved number")
    add("--fault-clear-after", type=int, default=2, help="attempts before clear-after-N faults succeed")
    add("--delivery-workers", type=int, default=1, help="threads delivering webhooks")
    add("--log-level", default="INFO", help="logging level (default INFO)")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> EmulatorSettings:
    """Build EmulatorSettings from parsed arguments."""
    return EmulatorSettings(
        access_token=args.access_token, app_secret=args.app_secret, callback_url=args.callback,
        webhook_delay=args.webhook_delay, batch_size=args.batch_size, batch_window=args.batch_window,
        duplicate_rate=args.duplicate_rate, shuffle=args.shuffle, seed=args.seed, mps=args.mps,
        pair_rate=not args.no_pair_rate, latency=args.latency, media_url_ttl=args.media_url_ttl,
        media_dir=args.media_dir, public_url=args.public_url, waba_id=args.waba_id,
        slow_seconds=args.slow_seconds, fault_clear_after=args.fault_clear_after,
        delivery_workers=args.delivery_workers)


def main(argv: list[str] | None = None) -> int:
    """Run the emulator until interrupted."""
    args = parse_args(argv)
    logging.basicConfig(stream=sys.stdout, level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_emulator_app(settings_from(args))
    server = make_server(args.host, args.port, app, threaded=True)
    print(f"WhatsApp Cloud API sandbox listening on http://{args.host}:{server.server_port} "
          f"(callback: {args.callback or 'none'})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopping", flush=True)
    finally:
        server.server_close()
        app.emulator.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
