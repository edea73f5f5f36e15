"""Configuration: shipped YAML defaults plus validated, frozen objects built from them."""
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DEMO_DIR = PACKAGE_DIR / "demo"
