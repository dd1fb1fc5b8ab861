"""Roll-up rules pinned by mutation testing (issue 7, part 0)."""
