"""Local stand-ins for an outside service: the demo default (`make run` needs no keys) and what the tests talk to
through the real client. Each checks what the real service checks."""
