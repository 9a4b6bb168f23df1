"""`make bench`: ours and the peer packages side by side on the simulator -> bench/RESULTS.md.

    python -m bench                 # quick: a few minutes, 2 pairs per scenario
    python -m bench --full          # the figures to quote: 5 pairs, 100,000 listed
    python -m bench --only listing --listing 100000   # 100,000 listed, quick otherwise
    python -m bench --only waits    # one scenario group (calls, waits, imports,
                                    # listing, sync_and_wait), repeatable
    python -m bench --throughput    # the simulator's own requests/second
    python -m bench --report-only   # RESULTS.md again, from the last run's RESULTS.json

Benchmarks print and write numbers; they never assert on time. Each
measured run's output (the peers log every poll) goes to bench/bench.log.
"""

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from bench import report, sim_throughput
from bench.runner import FULL, QUICK, load, run_all, save

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    """Run the chosen scenarios and write RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--full", action="store_true", help="more pairs, larger listings")
    parser.add_argument("--only", action="append", help="run only this scenario group")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md", help="results file")
    parser.add_argument(
        "--throughput", action="store_true", help="measure the simulator's throughput instead"
    )
    parser.add_argument(
        "--report-only", action="store_true", help="write the results file again from its .json"
    )
    parser.add_argument(
        "--listing", type=int, help="Fivetran connections to list (default: by mode)"
    )
    parser.add_argument(
        "--ours-waits", default="ours-client", help="our WAITS implementation (bench.impls)"
    )
    parser.add_argument(
        "--ours-sync", default="ours-client", help="our SYNC_AND_WAIT implementation"
    )
    args = parser.parse_args(argv)
    if args.throughput:
        return sim_throughput.main(["--clients", "3", "--seconds", "5"])
    kept = args.out.with_suffix(".json")  # every run's figures, for --report-only
    if args.report_only:
        scenarios, mode, run = load(kept)
        report.write(scenarios, mode, run, args.out)
        print(f"wrote {args.out}", flush=True)
        return 0
    mode = FULL if args.full else QUICK
    if args.listing:
        mode = dataclasses.replace(mode, listing=args.listing)
    log = HERE / "bench.log"
    log.write_text("")
    started, began = report.machine(), time.monotonic()
    print(f"bench ({mode.name}): {started}", flush=True)
    only = set(args.only) if args.only else None
    scenarios = run_all(mode, only, log, kept, ours_waits=args.ours_waits, ours_sync=args.ours_sync)
    run = report.header(mode, started, time.monotonic() - began)
    save(scenarios, mode, kept, run)
    report.write(scenarios, mode, run, args.out)
    print(f"wrote {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
