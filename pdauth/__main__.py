"""`python -m pdauth` runs the same entry point as the `pdauth` console script."""

from pdauth.entry import main

main()
