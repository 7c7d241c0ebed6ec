"""Global IDs (`base64("Person:42")`) in and out of the schema."""

from strawberry.relay import GlobalID

from gridhub.resolvers.errors import BadInput

# GraphQL type name -> kind
NODE_KINDS = {
    "Region": "region", "Department": "department", "Person": "person", "Household": "household",
    "Place": "place", "Event": "event", "Thing": "thing", "Organisation": "organisation",
    "StaffAssignment": "staff", "JointHouseholdUnit": "joint_unit", "ServicePost": "service_post",
    "VolunteerActivity": "volunteer_activity",
}


def decode_id(value: GlobalID, type_name: str | None, field: str = "id") -> int:
    """The row id inside a global ID, which must name `type_name` (any node type if None)."""
    if not isinstance(value, GlobalID):
        try:
            value = GlobalID.from_id(str(value))
        except Exception:
            raise BadInput("not a global id", field=field) from None
    if type_name is not None and value.type_name != type_name:
        raise BadInput(f"expected the id of a {type_name}, got a {value.type_name}", field=field)
    if type_name is None and value.type_name not in NODE_KINDS:
        raise BadInput(f"no node type {value.type_name}", field=field)
    try:
        row_id = int(value.node_id)
    except ValueError:
        raise BadInput("not a global id", field=field) from None
    if not 0 < row_id < 2 ** 63:  # ids are positive BIGINTs; a larger one overflows the driver
        raise BadInput("not a global id", field=field)
    return row_id
