"""Services behind the pages and the API: queries and view models; routes only parse, check and render."""
