"""``python -m irkb``."""

from irkb.cli import main

if __name__ == "__main__":
    main()
