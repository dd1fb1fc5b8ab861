"""A migration operation that puts a tenant table under row-level security."""

from __future__ import annotations

from django.db import migrations

POLICY = "tenant_isolation"
ORG_EXPR = "NULLIF(current_setting('app.current_org', true), '')::bigint"
USER_EXPR = "NULLIF(current_setting('app.current_user', true), '')::bigint"


class EnableRowLevelSecurity(migrations.operations.base.Operation):
    """ENABLE + FORCE row-level security on a model's table with an org_id policy.

    ``also_own_rows_of`` names a user-id column whose rows the current user may
    also read (their own memberships in other organisations, for the switcher).
    """

    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name: str, also_own_rows_of: str | None = None) -> None:
        self.model_name = model_name
        self.also_own_rows_of = also_own_rows_of

    def state_forwards(self, app_label, state) -> None:
        pass

    def _table(self, app_label, state) -> str:
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(self._table(app_label, to_state))
        using = f"org_id = {ORG_EXPR}"
        if self.also_own_rows_of:
            using = f"({using}) OR {self.also_own_rows_of} = {USER_EXPR}"
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
        schema_editor.execute(
            f"CREATE POLICY {POLICY} ON {table} USING ({using}) WITH CHECK (org_id = {ORG_EXPR})"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(self._table(app_label, from_state))
        schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")

    def describe(self) -> str:
        return f"Enable row-level security on {self.model_name}"

    def deconstruct(self):
        kwargs = {"model_name": self.model_name}
        if self.also_own_rows_of:
            kwargs["also_own_rows_of"] = self.also_own_rows_of
        return (self.__class__.__qualname__, [], kwargs)
