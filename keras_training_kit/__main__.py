"""`python -m keras_training_kit` runs the `ktk` command line."""

import sys

from keras_training_kit.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
