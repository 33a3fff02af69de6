"""`python -m nrmc` runs the command line."""
from nrmc.cli import main

if __name__ == "__main__":
    main(prog_name="nrmc")
