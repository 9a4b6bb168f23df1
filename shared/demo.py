"""`conn-demo`: the connection lifecycle on every backend against the embedded simulator."""


def main() -> int:
    """Entry point of `conn-demo`; filled in by the demo issue."""
    print("conn-demo: the lifecycle demo is not built yet")
    return 0
