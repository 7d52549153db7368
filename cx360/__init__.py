"""cx360: the customer-experience warehouse."""

__version__ = "0.1.0"
