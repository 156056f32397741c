"""An example Plaza zone, packaged on its own: the Lantern Garden."""
