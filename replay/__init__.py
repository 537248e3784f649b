"""The built-in replay of 7 December 2021: reconstructed provider payloads served on loopback by a simulated clock."""

from pathlib import Path

DATA_DIR = Path(__file__).with_name("data") / "2021-12-07"
