"""`conn-sim`: serve the simulator from the command line until Ctrl-C.

It prints each vendor's base URL and the (fake, simulator-only) credentials it accepts,
so a pipeline under test can be pointed at it.
"""

import argparse
import contextlib
import socket
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from conn_shared.sim.credentials import (
    FARADAY_API_KEY,
    FIVETRAN_API_KEY,
    FIVETRAN_API_SECRET,
    HUB_TOKEN,
    SimCredentials,
)
from conn_shared.sim.faults import FaultPlan, parse_fault
from conn_shared.sim.ratelimit import RateLimit
from conn_shared.sim.vendors import VENDORS

if TYPE_CHECKING:
    from conn_shared.sim.core import SimBackend

__all__ = ["build_parser", "main", "vendor_options"]

_BACKENDS = tuple(VENDORS)


def _rate_limit(text: str) -> RateLimit:
    rate_text, _, burst_text = text.partition(":")
    try:
        rate = float(rate_text)
        burst = int(burst_text) if burst_text else max(1, int(rate))
        return RateLimit(rate=rate, burst=burst)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected RPS[:BURST], got {text!r} ({exc})") from exc


def _backends(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = set(names) - set(_BACKENDS)
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose from {','.join(_BACKENDS)}, got {text!r}")
    return names


def build_parser() -> argparse.ArgumentParser:
    """The `conn-sim` argument parser (every option shows its default in --help)."""
    parser = argparse.ArgumentParser(
        prog="conn-sim",
        description="Serve simulated Fivetran, Faraday and hub connection APIs locally.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        epilog=(
            "Fault syntax: KIND[=SECONDS][:PROBABILITY | xN][@[METHOD ]PATH_GLOB], "
            "KIND one of 500, 502, 503, 429, latency, drop, malformed, commit_then_lose. "
            "Examples: --fault 503:0.1  --fault '429=5:0.05@POST /fivetran/v1/connections'  "
            "--fault 'dropx2@/faraday/v1/*'. Admin API: /_sim (see docs/simulator.md)."
        ),
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="interface to listen on")
    add("--port", type=int, default=8765, help="port to listen on (0: any free port)")
    add("--backends", type=_backends, default=",".join(_BACKENDS), help="comma list of vendors")
    add("--latency-ms", type=float, default=0.0, help="base latency added to every request")
    add(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="inject a fault (repeatable; syntax below)",
    )
    add(
        "--fault-rate",
        type=float,
        default=0.1,
        help="probability for --fault specs that give neither :PROBABILITY nor xN",
    )
    add("--seed", type=int, default=0, help="seed of the fault plan's random draws")
    add("--clock-speed", type=float, default=1.0, help="simulated seconds per real second")
    add(
        "--rate-limit",
        type=_rate_limit,
        default=None,
        metavar="RPS[:BURST]",
        help="per-(vendor, API key) token bucket; off when not given",
    )
    add("--fivetran-key", default=FIVETRAN_API_KEY, help="accepted Fivetran API key")
    add("--fivetran-secret", default=FIVETRAN_API_SECRET, help="accepted Fivetran API secret")
    add("--faraday-key", default=FARADAY_API_KEY, help="accepted Faraday API key")
    add("--hub-token", default=HUB_TOKEN, help="accepted hub bearer token")
    add(
        "--fivetran-setup-test-seconds",
        type=float,
        default=0.0,
        help="simulated duration of Fivetran setup tests (0: in the same response)",
    )
    add("--fivetran-sync-seconds", type=float, default=30.0, help="simulated Fivetran sync")
    add(
        "--fivetran-historical-sync-seconds",
        type=float,
        default=60.0,
        help="simulated Fivetran historical sync (initial sync and re-sync)",
    )
    add(
        "--fivetran-reschedule-seconds",
        type=float,
        default=300.0,
        help="simulated wait of a rescheduled Fivetran sync (the quota switch)",
    )
    add("--faraday-build-seconds", type=float, default=30.0, help="simulated Faraday build")
    add(
        "--log-level",
        default="warning",
        choices=["critical", "error", "warning", "info", "debug"],
        help="uvicorn log level",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `conn-sim`: parse, print the addresses, serve until interrupted.

    Returns 2, naming the `sim` extra, when its server stack is not installed.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    # Imported after parsing: --help works without the [sim] extra, and its absence is named.
    try:
        import uvicorn  # noqa: PLC0415

        from conn_shared.sim.app import build_app  # noqa: PLC0415
        from conn_shared.sim.server import build_backends, uvicorn_config  # noqa: PLC0415
    except ModuleNotFoundError as exc:
        print(
            f"conn-sim needs the 'sim' extra (missing: {exc.name}); "
            "install it with: pip install 'conn-providers[sim]'",
            file=sys.stderr,
        )
        return 2
    from conn_shared.sim.clock import SimClock  # noqa: PLC0415

    try:
        rules = [parse_fault(spec, default_probability=args.fault_rate) for spec in args.fault]
    except ValueError as exc:
        parser.error(str(exc))
    credentials = SimCredentials(
        fivetran_api_key=args.fivetran_key,
        fivetran_api_secret=args.fivetran_secret,
        faraday_api_key=args.faraday_key,
        hub_token=args.hub_token,
    )
    clock = SimClock(speed=args.clock_speed)
    backends = build_backends(args.backends, clock, credentials, **vendor_options(args))
    app = build_app(
        backends=backends,
        clock=clock,
        faults=FaultPlan(rules, seed=args.seed),
        rate_limit=args.rate_limit,
        latency=args.latency_ms / 1000.0,
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    # Listening before the banner: a client that reads it may connect at once.
    sock.listen(2048)
    url = f"http://{args.host}:{sock.getsockname()[1]}"
    _print_banner(url, backends, credentials)
    server = uvicorn.Server(uvicorn_config(app, log_level=args.log_level))
    # uvicorn shuts down cleanly, then re-raises the Ctrl-C it caught.
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    print("conn-sim stopped.", flush=True)
    return 0


def vendor_options(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The `*_options` keyword arguments of `build_backends` that parsed `args` ask for."""
    return {
        "fivetran_options": {
            "setup_test_seconds": args.fivetran_setup_test_seconds,
            "sync_seconds": args.fivetran_sync_seconds,
            "historical_sync_seconds": args.fivetran_historical_sync_seconds,
            "reschedule_seconds": args.fivetran_reschedule_seconds,
        },
        "faraday_options": {"build_seconds": args.faraday_build_seconds},
    }


def _print_banner(url: str, backends: Sequence["SimBackend"], credentials: SimCredentials) -> None:
    creds = credentials.as_dict()
    lines = [f"conn-sim serving on {url} (admin API: {url}/_sim)"]
    for backend in backends:
        secrets = ", ".join(f"{k}={v}" for k, v in creds[backend.name].items())
        base = f"{url}/{backend.name}{backend.base_path}"
        lines.append(f"  {backend.name:<8} base URL {base}  ({secrets})")
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
