"""Security primitives: credentials, webhook signatures and phone-number normalisation."""
