"""`python -m racesdsl` runs the same CLI as the `racesdsl` console script."""

from racesdsl.cli import main

if __name__ == "__main__":
    main()
