"""Op definitions: each module registers its primitives' rows and defines the public functions."""
