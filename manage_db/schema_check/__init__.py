"""Schema checks against a tree's own history: ``check-models`` (the SQLAlchemy models'
``create_all()`` against the migrations' head) and ``drift`` (a live database against the schema
its history gives at the revision it is at).

Both build the reference in throwaway databases through the normal runtime (``build``) and compare
with the catalog snapshot and diff verify uses (``dao.snapshot``, ``services.schema_diff``):
``models_service``, ``drift_service`` hold the logic, ``dao`` the read-only read of a live
database, ``model`` the reports, ``notifier`` how they are told.
"""
