"""wazo-manage-db: the database migration manager of a Wazo-style platform."""

__version__ = "0.1.0"
