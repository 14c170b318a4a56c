"""Bills of materials: what is deployed, captured from a sweep's observations; and their diffs. Pure,
except ``capture.write`` which writes one file to ``asbuilt/``."""
