"""网上填报: report forms filled in the browser, generated from the form YAML and checked by the import rules."""
