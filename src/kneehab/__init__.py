"""kneehab: a physical therapist's home program for inner (medial) knee pain, as software."""

__version__ = "0.1.0"
