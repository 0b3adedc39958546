"""clearance: republication and licensing compliance for syndicated news."""
