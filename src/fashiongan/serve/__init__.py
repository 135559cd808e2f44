"""`fashiongan serve`: a local web page and a small JSON/PNG API over one trained generator."""
