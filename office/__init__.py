"""The back office: the window, department clerks' decisions, staff and their rights, help desk, deadlines."""
