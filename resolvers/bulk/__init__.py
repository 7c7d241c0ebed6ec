"""Departments' pulls: the changes feed and its cursors."""
