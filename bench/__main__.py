"""``python -m bench``: run the foundation benchmark (see bench/README.md for the others)."""

from bench.foundation import main

main()
