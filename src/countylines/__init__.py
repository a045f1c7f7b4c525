"""countylines: County Lines threat assessment from the data analysts already hold."""

__version__ = "0.1.0"
