"""fashiongan: train GANs that make new fashion images, generate them per class, measure them."""

__version__ = "0.1.0"
