"""Metadata as data: units, data elements and report forms, loaded from YAML and validated."""

from hizone.catalog.loader import (
    compose_yaml,
    default_catalog,
    load_catalog,
    package_directory,
    read_yaml,
    resolve_inheritance,
    user_directories,
)
from hizone.catalog.model import Catalog, Element, Form, FormField, Unit

__all__ = ["Catalog", "Element", "Form", "FormField", "Unit", "compose_yaml", "default_catalog", "load_catalog",
           "package_directory", "read_yaml", "resolve_inheritance", "user_directories"]
