"""`conn-demo`: the main job, run against the embedded simulator (see `conn_demo.cli`)."""
