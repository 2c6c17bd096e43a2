#!/usr/bin/env python
from massline.__main__ import main

if __name__ == "__main__":
    main()
