"""``python -m bench``: run the foundation benchmark; ``python -m bench load``: the load benchmark
(bench/load.py); ``python -m bench housing``: the woonprogramma (bench/housing.py). See bench/README.md
for the others."""

import sys

if sys.argv[1:2] == ["load"]:
    from bench.load import main as load

    load(sys.argv[2:])
elif sys.argv[1:2] == ["housing"]:
    from bench.housing import main as housing

    housing(sys.argv[2:])
else:
    from bench.foundation import main

    main()
