"""Zone carbon accounts (碳账户): energy in physical units → standard coal (tce) and CO2, with the factor library."""
