"""`make bench`: run every benchmark in this folder and print its figures.

Benchmarks print numbers; they never assert on time. Run one alone with
`python bench/<name>.py --help`.
"""

import sys

from bench import sim_throughput


def main() -> int:
    """Run the benchmarks in turn; non-zero if any of them failed to run."""
    print("== simulator throughput (GET connection details)", flush=True)
    return sim_throughput.main(["--clients", "3", "--seconds", "5"])


if __name__ == "__main__":
    sys.exit(main())
