"""The versioned REST API (/api/v1): JSON, paginated, with consistent error bodies."""
