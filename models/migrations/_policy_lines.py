"""What migrations that extend the default policy share (a leading `_`: not a migration)."""


def runner(schema_editor):
    """`await run(sql, *values)`: `sql` with `%s` for each value in order, in the dialect's
    placeholders; the rows it returns."""
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"

    async def run(sql: str, *values) -> list:
        marks = iter(f"${i}" if postgres else "?" for i in range(1, len(values) + 1))
        return (await client.execute_query(sql.replace("%s", "{}").format(*marks), list(values)))[1]

    return run


async def add_default_lines(run, lines, when_in_use: str | None = None) -> None:
    """Add (role, object, action, effect) lines at domain `*` where the role is in use (an admin
    who removed a default role has a policy of their own, and is left to it), or where the
    role `when_in_use` is, for roles new to the policy; then bump the policy version so that
    every process reloads."""
    changed = False
    for role, obj, action, effect in lines:
        in_use = when_in_use or role
        if (await run("SELECT COUNT(*) AS n FROM casbin_rule WHERE ptype = 'p' AND v0 = %s", in_use))[0]["n"]:
            await run("INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) SELECT 'p', %s, '*', %s, %s, %s, '' "
                      "WHERE NOT EXISTS (SELECT 1 FROM casbin_rule WHERE ptype = 'p' AND v0 = %s AND v1 = '*' "
                      "AND v2 = %s AND v3 = %s AND v4 = %s AND v5 = '')",
                      role, obj, action, effect, role, obj, action, effect)
            changed = True
    if changed:
        await run("UPDATE policy_state SET version = version + 1")


async def remove_default_lines(run, lines) -> None:
    """A migration's way back: its (role, object, action, effect) lines at domain `*` removed,
    and the policy version bumped so that every process reloads."""
    for role, obj, action, effect in lines:
        await run("DELETE FROM casbin_rule WHERE ptype = 'p' AND v0 = %s AND v1 = '*' AND v2 = %s AND v3 = %s "
                  "AND v4 = %s", role, obj, action, effect)
    await run("UPDATE policy_state SET version = version + 1")
